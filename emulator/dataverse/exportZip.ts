/**
 * Regenerates a solution zip from a stored one, the way an export does: solution.xml carries the current
 * version and the requested managed state, a managed export blanks the form labels the platform blanks,
 * and every other entry is copied through as a stream.
 */
import * as fs from 'node:fs';
import * as yazl from 'yazl';
import { escapeXml } from './importLog';
import type { ComponentRef } from './model';
import { normalizeIdent } from './model';
import { decodeXmlText, openZip } from './zipFile';

export interface ExportRequest {
  sourceZip: string;
  outPath: string;
  version: string;
  managed: boolean;
  /** A maker's changes since the stored file was imported. */
  edits: { added: ComponentRef[]; removed: ComponentRef[] };
}

const escapeRegExp = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A pattern matching `v` in any letter case (element names in the same pattern stay case-sensitive). */
const anyCase = (v: string) => [...v].map((ch) => (ch.toLowerCase() !== ch.toUpperCase() ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : escapeRegExp(ch))).join('');

function refersTo(element: string, c: ComponentRef): boolean {
  const type = /\stype="([^"]*)"/.exec(element)?.[1]?.toLowerCase();
  if (type !== c.type) return false;
  const schema = /\sschemaName="([^"]*)"/.exec(element)?.[1];
  const id = /\sid="([^"]*)"/.exec(element)?.[1];
  return (!!schema && !!c.schemaName && schema.toLowerCase() === c.schemaName.toLowerCase()) || (!!id && !!c.id && normalizeIdent(id) === normalizeIdent(c.id));
}

function applyRootComponentEdits(xml: string, edits: ExportRequest['edits']): string {
  let out = xml.replace(/<RootComponent\s[^>]*\/>/g, (element) => (edits.removed.some((c) => refersTo(element, c)) ? '' : element));
  const added = edits.added.map((c) => `<RootComponent type="${escapeXml(c.type)}"${c.schemaName ? ` schemaName="${escapeXml(c.schemaName)}"` : ''}` +
    `${c.id ? ` id="{${normalizeIdent(c.id)}}"` : ''} behavior="0" />`).join('');
  if (added) out = /<RootComponents\s*\/>/.test(out) ? out.replace(/<RootComponents\s*\/>/, `<RootComponents>${added}</RootComponents>`) : out.replace('</RootComponents>', `${added}</RootComponents>`);
  return out;
}

/** Drops the definitions of removed components from customizations.xml (entities, web resources, flows, connection references). */
function removeDefinitions(xml: string, removed: ComponentRef[]): string {
  let out = xml;
  for (const c of removed) {
    const name = c.schemaName ? anyCase(c.schemaName) : undefined;
    if (c.type === '1' && name) out = out.replace(new RegExp(`<Entity>\\s*<Name[^>]*>${name}</Name>[\\s\\S]*?</Entity>`), '');
    if (c.type === '61' && name) out = out.replace(new RegExp(`<WebResource>(?:(?!</WebResource>)[\\s\\S])*?<Name>${name}</Name>[\\s\\S]*?</WebResource>`), '');
    if (c.type === '29' && c.id) out = out.replace(new RegExp(`<Workflow WorkflowId="\\{?${anyCase(normalizeIdent(c.id))}\\}?"[\\s\\S]*?</Workflow>`), '');
    if (c.type === 'connectionreference' && name) {
      out = out.replace(new RegExp(`<connectionreference connectionreferencelogicalname="${name}"[\\s\\S]*?</connectionreference>`), '');
    }
  }
  return out;
}

/**
 * Zip entries (lower-case) that belong to removed web resources and workflows: their definitions in
 * customizations.xml name them (`<FileName>`, `<JsonFileName>`, `<XamlFileName>`).
 */
function removedComponentFiles(customizations: string, removed: ComponentRef[]): Set<string> {
  const files = new Set<string>();
  const add = (block: RegExpExecArray | null, element: RegExp): void => {
    const file = block ? element.exec(block[0]) : null;
    if (file) files.add(file[1].replace(/^\//, '').toLowerCase());
  };
  for (const c of removed) {
    const name = c.schemaName ? anyCase(c.schemaName) : undefined;
    if (c.type === '61' && name) {
      add(new RegExp(`<WebResource>(?:(?!</WebResource>)[\\s\\S])*?<Name>${name}</Name>[\\s\\S]*?</WebResource>`).exec(customizations), /<FileName>([^<]+)<\/FileName>/);
    }
    if (c.type === '29' && c.id) {
      add(new RegExp(`<Workflow WorkflowId="\\{?${anyCase(normalizeIdent(c.id))}\\}?"[\\s\\S]*?</Workflow>`).exec(customizations), /<(?:Json|Xaml)FileName>([^<]+)<\/(?:Json|Xaml)FileName>/);
    }
  }
  return files;
}

function isRemovedEnvVarFile(entry: string, removed: ComponentRef[]): boolean {
  const m = /^environmentvariabledefinitions\/([^/]+)\//i.exec(entry);
  return !!m && removed.some((c) => c.type === '380' && c.schemaName?.toLowerCase() === m[1].toLowerCase());
}

function rewriteManifest(xml: string, version: string, managed: boolean): string {
  return xml
    .replace(/<Version>[^<]*<\/Version>/, `<Version>${version}</Version>`)
    .replace(/<Managed>[^<]*<\/Managed>/, `<Managed>${managed ? 1 : 0}</Managed>`);
}

/** Managed exports carry no display labels on form cells (observed on managed/unmanaged twins of one export). */
function managedCustomizations(xml: string): string {
  return xml.replace(/<FormXml>[\s\S]*?<\/FormXml>/g, (forms) => forms.replace(/<label description="[^"]*" languagecode=/g, '<label description="" languagecode='));
}

export async function writeExportZip(request: ExportRequest): Promise<number> {
  const source = await openZip(request.sourceZip);
  try {
    const out = new yazl.ZipFile();
    const edited = request.edits.added.length + request.edits.removed.length > 0;
    const removedFiles = request.edits.removed.length > 0
      ? removedComponentFiles(decodeXmlText((await source.read('customizations.xml')) ?? Buffer.alloc(0)), request.edits.removed)
      : new Set<string>();
    for (const entry of source.entries) {
      if (isRemovedEnvVarFile(entry.name, request.edits.removed) || removedFiles.has(entry.name.toLowerCase())) continue;
      if (entry.name === 'solution.xml' || (entry.name === 'customizations.xml' && (request.managed || edited))) {
        const text = decodeXmlText((await source.read(entry.name)) ?? Buffer.alloc(0));
        const rewritten = entry.name === 'solution.xml'
          ? applyRootComponentEdits(rewriteManifest(text, request.version, request.managed), request.edits)
          : removeDefinitions(request.managed ? managedCustomizations(text) : text, request.edits.removed);
        out.addBuffer(Buffer.from(rewritten, 'utf8'), entry.name);
      } else {
        out.addReadStreamLazy(entry.name, (cb) => {
          source.stream(entry.name).then((s) => cb(null, s), (err: unknown) => cb(err, undefined as unknown as NodeJS.ReadableStream));
        });
      }
    }
    out.end();
    await new Promise<void>((resolve, reject) => {
      const file = fs.createWriteStream(request.outPath);
      out.outputStream.on('error', reject);
      file.on('error', reject);
      file.on('finish', () => resolve());
      out.outputStream.pipe(file);
    });
    return (await fs.promises.stat(request.outPath)).size;
  } finally {
    source.close();
  }
}
