/**
 * Test-only builder of solution zips for the checker: script web resources (recorded in customizations.xml the
 * way Dataverse exports them), plug-in assembly files, cloud flows with their connection references.
 */
import * as fs from 'node:fs';
import * as yazl from 'yazl';

export interface CheckerFixture {
  uniqueName: string;
  webResources?: { name: string; content: string; type?: number }[];
  assemblies?: { name: string; content: Buffer | string }[];
  flows?: { name: string; id: string; connectionReferences: string[]; active?: boolean }[];
  /** Connection references the solution declares. */
  connectionReferences?: string[];
}

function mangle(name: string, id: string): string {
  return `WebResources/${name.replace(/[^A-Za-z0-9_]/g, '')}${id.toUpperCase()}`;
}

function guid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export function checkerSolutionEntries(fixture: CheckerFixture): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  const webResources = (fixture.webResources ?? []).map((w, i) => ({ ...w, id: guid(i + 1), file: mangle(w.name, guid(i + 1)) }));
  const flows = (fixture.flows ?? []).map((f) => ({ ...f, file: `Workflows/${f.name.replace(/[^A-Za-z0-9_-]/g, '')}-${f.id.toUpperCase()}.json` }));
  const customizations = [
    '<ImportExportXml xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
    '<Entities />',
    '<WebResources>',
    ...webResources.map((w) =>
      `<WebResource><WebResourceId>{${w.id}}</WebResourceId><Name>${w.name}</Name><DisplayName>${w.name}</DisplayName>` +
      `<WebResourceType>${w.type ?? 3}</WebResourceType><FileName>/${w.file}</FileName></WebResource>`),
    '</WebResources>',
    '<Workflows>',
    ...flows.map((f) =>
      `<Workflow WorkflowId="{${f.id}}" Name="${f.name}"><JsonFileName>/${f.file}</JsonFileName><Type>1</Type><Category>5</Category>` +
      `<StateCode>${f.active === false ? 0 : 1}</StateCode><StatusCode>${f.active === false ? 1 : 2}</StatusCode></Workflow>`),
    '</Workflows>',
    '<connectionreferences>',
    ...(fixture.connectionReferences ?? []).map((c) => `<connectionreference connectionreferencelogicalname="${c}"><connectorid>/providers/Microsoft.PowerApps/apis/shared_sharepointonline</connectorid></connectionreference>`),
    '</connectionreferences>',
    '</ImportExportXml>',
  ].join('');
  entries.set('solution.xml', Buffer.from(`<ImportExportXml version="9.2.0.0"><SolutionManifest><UniqueName>${fixture.uniqueName}</UniqueName><Version>1.0.0.0</Version><Managed>0</Managed></SolutionManifest></ImportExportXml>`));
  entries.set('customizations.xml', Buffer.from(customizations));
  entries.set('[Content_Types].xml', Buffer.from('<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/octet-stream" /></Types>'));
  for (const w of webResources) entries.set(w.file, Buffer.from(w.content, 'utf8'));
  for (const a of fixture.assemblies ?? []) entries.set(`PluginAssemblies/${a.name}-${guid(99).toUpperCase()}/${a.name}.dll`, Buffer.from(a.content));
  for (const f of flows) {
    const connectionReferences = Object.fromEntries(f.connectionReferences.map((c, i) => [`shared_conn_${i}`, { connection: { connectionReferenceLogicalName: c } }]));
    entries.set(f.file, Buffer.from(JSON.stringify({ properties: { connectionReferences, definition: { actions: {} } } })));
  }
  return entries;
}

/** Writes the fixture as a zip file. */
export async function writeCheckerSolution(file: string, fixture: CheckerFixture): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of checkerSolutionEntries(fixture)) zip.addBuffer(content, name);
  zip.end();
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.pipe(fs.createWriteStream(file)).on('finish', resolve).on('error', reject);
  });
}
