/**
 * The texts an import leaves behind: importjob.data (the observed <importexportxml> shape, protocol.md §4.2)
 * and the Excel-XML workbook RetrieveSolutionImportResult / RetrieveFormattedImportJobResults return
 * (same worksheets, rows and cell names as the recorded response in the corpus).
 */
import type { ComponentRef, MissingDependency, SolutionManifest } from './model';

export type ResultKind = 'success' | 'failure' | 'warning';

export interface ComponentResult {
  /** Section of the log, e.g. entities, workflows, connectionreferences, environmentvariabledefinitions. */
  section: string;
  element: string;
  id: string;
  name: string;
  result: ResultKind;
  errorCode?: string;
  errorText?: string;
}

export interface ImportOutcome {
  manifest: SolutionManifest;
  result: ResultKind;
  errorCode: string;
  errorText: string;
  missing: MissingDependency[];
  components: ComponentResult[];
  deleted: ComponentRef[];
  start: Date;
  stop?: Date;
  progress: number;
}

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function attrs(values: Record<string, string | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(v as string)}"`)
    .join('');
}

/** .NET ticks (100 ns since 0001-01-01), as the platform writes in result@datetimeticks. */
function ticks(date: Date): string {
  return (BigInt(date.getTime()) * 10000n + 621355968000000000n).toString();
}

function resultElement(kind: ResultKind, code: string, text: string, at: Date): string {
  return `<result${attrs({ result: kind, errorcode: code, errortext: text, datetimeticks: ticks(at) })} />`;
}

function missingDependenciesXml(missing: MissingDependency[]): string {
  if (missing.length === 0) return '<MissingDependencies />';
  const items = missing.map((m) =>
    `<MissingDependency><Required${attrs(m.required.attributes)} /><Dependent${attrs(m.dependent)} /></MissingDependency>`);
  return `<MissingDependencies>${items.join('')}</MissingDependencies>`;
}

/** The importjob.data document. Sections follow the order the platform writes them; empty ones stay present. */
export function importJobData(outcome: ImportOutcome): string {
  const { manifest } = outcome;
  const done = outcome.stop !== undefined;
  const at = outcome.stop ?? outcome.start;
  const sectionNames = ['entities', 'nodes', 'settings', 'dashboards', 'securityroles', 'workflows', 'optionSets',
    'webResources', 'connectionreferences', 'environmentvariabledefinitions', 'environmentvariablevalues', 'connectors', 'CanvasApps'];
  const sections = sectionNames.map((section) => {
    const rows = outcome.components.filter((c) => c.section === section).map((c) =>
      `<${c.element}${attrs({ id: c.id, LocalizedName: c.name, OriginalName: c.name, processed: 'true' })}>` +
      `${resultElement(c.result, c.errorCode ?? '0', c.errorText ?? '', at)}</${c.element}>`);
    return rows.length === 0 ? `<${section} />` : `<${section}>${rows.join('')}</${section}>`;
  });
  const deleted = outcome.deleted.length === 0 ? '' :
    `<deletedComponents>${outcome.deleted.map((c) => `<component${attrs({ type: c.type, schemaName: c.schemaName, id: c.id })} />`).join('')}</deletedComponents>`;
  const root = attrs({
    start: outcome.start.toISOString(),
    stop: done ? outcome.stop?.toISOString() : '',
    progress: outcome.progress.toFixed(2).replace(/\.00$/, ''),
    processed: done ? 'true' : 'false',
    succeeded: done ? String(outcome.result !== 'failure') : 'false',
  });
  const manifestResult = done ? resultElement(outcome.result, outcome.errorCode, outcome.errorText, at) : '';
  return `<importexportxml${root}><solutionManifests>` +
    `<solutionManifest${attrs({ languagecode: '1033', id: manifest.uniqueName, LocalizedName: manifest.friendlyName, processed: String(done) })}>` +
    `<UniqueName>${escapeXml(manifest.uniqueName)}</UniqueName><LocalizedNames><LocalizedName${attrs({ description: manifest.friendlyName, languagecode: '1033' })} /></LocalizedNames>` +
    `<Version>${escapeXml(manifest.version)}</Version><Managed>${manifest.managed ? 1 : 0}</Managed>` +
    `<Publisher><UniqueName>${escapeXml(manifest.publisher.uniqueName)}</UniqueName></Publisher>` +
    `${manifestResult}${missingDependenciesXml(outcome.missing)}</solutionManifest></solutionManifests>` +
    `${sections.join('')}${deleted}</importexportxml>`;
}

function cell(name: string | undefined, value: string): string {
  return `<Cell ss:StyleID="s137"${name ? ` name="${name}"` : ''}><Data ss:Type="String">${escapeXml(value)}</Data></Cell>`;
}

function pair(parent: string, label: string, value: string): string {
  return `<Row ss:AutoFitHeight="0" parent="${parent}"><Cell ss:StyleID="s176"><Data ss:Type="String">${label}</Data></Cell>${cell(undefined, value)}</Row>`;
}

function excelTime(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(date.getUTCMonth() + 1)}/${p(date.getUTCDate())}/${date.getUTCFullYear()} ${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:` +
    `${p(date.getUTCSeconds())}.${p(date.getUTCMilliseconds(), 3)} (UTC) Coordinated Universal Time`;
}

const ITEM_TYPES: Record<string, string> = {
  entities: 'Entity', nodes: 'Site Map', settings: 'Settings', dashboards: 'Dashboard', securityroles: 'Security Role',
  workflows: 'Process', optionSets: 'Option Set', webResources: 'Web Resource', connectionreferences: 'Connection Reference',
  environmentvariabledefinitions: 'Environment Variable Definition', environmentvariablevalues: 'Environment Variable Value',
  connectors: 'Connector', CanvasApps: 'Canvas App',
};

/** The Excel 2003 XML workbook ("Solution" and "Components" worksheets) the platform formats an import job into. */
export function formattedResults(outcome: ImportOutcome): string {
  const { manifest } = outcome;
  const stop = outcome.stop ?? new Date();
  const time = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:${(d.getUTCSeconds() + d.getUTCMilliseconds() / 1000).toFixed(2).padStart(5, '0')}`;
  const status = outcome.stop ? (outcome.result === 'failure' ? 'Failure' : 'Processed') : 'Unprocessed';
  const solutionRows = [
    '<Row ss:AutoFitHeight="0"><Cell ss:StyleID="s175"><Data ss:Type="String">Solution</Data></Cell><Cell ss:StyleID="s137" /></Row>',
    pair('Solution', 'Name', manifest.uniqueName),
    pair('Solution', 'Display Name', manifest.friendlyName),
    pair('Solution', 'Description', manifest.description),
    pair('Solution', 'Version', manifest.version),
    pair('Solution', 'Package Type', manifest.managed ? 'Managed' : 'Unmanaged'),
    '<Row ss:AutoFitHeight="0"><Cell ss:StyleID="s137" /></Row>',
    '<Row ss:AutoFitHeight="0" parent="Publisher"><Cell ss:StyleID="s175"><Data ss:Type="String">Publisher</Data></Cell></Row>',
    pair('Publisher', 'Name', manifest.publisher.uniqueName),
    pair('Publisher', 'Display Name', manifest.publisher.friendlyName),
    ...['Description', 'Email', 'Website', 'City', 'Country/Region', 'Street 1', 'Street 2', 'ZIP/Postal Code', 'State/Province', 'Phone']
      .map((label) => pair('Publisher', label, '')),
    '<Row ss:AutoFitHeight="0"><Cell ss:StyleID="s137" /></Row>',
    pair('Solution', 'Status', status),
    pair('Solution', 'Message', outcome.result === 'failure' ? outcome.errorText : ''),
    pair('Solution', 'Progress [%]', outcome.progress.toFixed(2).replace(/\.?0+$/, '')),
    pair('Solution', 'Duration [s]', ((stop.getTime() - outcome.start.getTime()) / 1000).toFixed(1)),
    pair('Solution', 'ActivityId [s]', ''),
    pair('Solution', 'StartTime [s]', excelTime(outcome.start)),
    pair('Solution', 'StopTime [s]', outcome.stop ? excelTime(outcome.stop) : ''),
  ];
  const header = ['Time', 'ItemType', 'Id', 'Name', 'LocalizedName', 'OriginalName', 'Description', 'Status', 'ErrorCode', 'ErrorText'];
  const componentRow = (values: string[]) => `<Row ss:AutoFitHeight="0">${values.map((v, i) => cell(header[i], v)).join('')}</Row>`;
  const rows = [
    `<Row ss:AutoFitHeight="0">${header.map((h) => `<Cell ss:StyleID="s183"><Data ss:Type="String">${h}</Data></Cell>`).join('')}</Row>`,
    componentRow([time(outcome.start), 'Package Validation', '', 'XSDValidationHandler', 'Package Validation', '', 'Validates solution package schema.', 'Processed', '', '']),
    componentRow([time(stop), 'Solution', '', manifest.uniqueName, manifest.friendlyName, '', manifest.description,
      status, outcome.result === 'failure' ? outcome.errorCode : '', outcome.result === 'failure' ? outcome.errorText : '']),
    ...outcome.components.map((c) => componentRow([time(stop), ITEM_TYPES[c.section] ?? c.section, c.id, c.name, c.name, c.name, '',
      c.result === 'failure' ? 'Failure' : 'Processed', c.result === 'success' ? '' : c.errorCode ?? '', c.errorText ?? ''])),
  ];
  return '<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>' +
    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:o="urn:schemas-microsoft-com:office:office" ' +
    'xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet" xmlns:html="http://www.w3.org/TR/REC-html40">' +
    '<Styles><Style ss:ID="Default" ss:Name="Normal"><Font ss:FontName="Calibri" ss:Size="11" /></Style><Style ss:ID="s137" /><Style ss:ID="s175"><Font ss:Bold="1" /></Style>' +
    '<Style ss:ID="s176" /><Style ss:ID="s183"><Font ss:Bold="1" /></Style></Styles>' +
    `<Worksheet ss:Name="Solution" ss:Id="Solution"><Table>${solutionRows.join('')}</Table></Worksheet>` +
    `<Worksheet ss:Name="Components" ss:Id="Components"><Table>${rows.join('')}</Table></Worksheet></Workbook>`;
}
