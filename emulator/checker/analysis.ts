/**
 * The emulated analysis: reads an uploaded solution zip and applies the rules of rules.ts to its script web
 * resources, plug-in assemblies and processes. Same zip + same rules = same findings, always.
 */
import * as yauzl from 'yauzl';
import { attr, child, children, parseXmlLenient, text, type XmlNode } from '../core/xml';
import type { EmulatedRule } from './rules';

export interface Finding {
  rule: EmulatedRule;
  /** Artifact path as the checker writes it: `/<solution file name without .zip>/<path>`. */
  uri: string;
  /** Logical location (web resource name without extension, assembly or process name). */
  component: string;
  line?: number;
  column?: number;
  message: string;
}

export interface AnalyzedFile {
  /** e.g. Contoso_1_0_0_0.zip */
  fileName: string;
  size: number;
  findings: Finding[];
  /** Analyzed artifacts with their length, in the order first seen. */
  artifacts: { uri: string; length: number }[];
}

export class NotAZipError extends Error {}

const MAX_ENTRY_BYTES = 64 * 1024 * 1024;

/** Throws NotAZipError when the bytes are not a readable zip. */
export async function openUploadedZip(bytes: Buffer): Promise<{ zip: yauzl.ZipFile; entries: Map<string, yauzl.Entry> }> {
  if (bytes.length < 4 || bytes.readUInt32LE(0) !== 0x04034b50) throw new NotAZipError('The file does not start with a zip local file header.');
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, validateEntrySizes: true });
  } catch (err) {
    throw new NotAZipError((err as Error).message);
  }
  const entries = new Map<string, yauzl.Entry>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (!entry.fileName.endsWith('/')) entries.set(entry.fileName.replace(/\\/g, '/'), entry);
      zip.readEntry();
    });
    zip.once('end', resolve);
    zip.once('error', (err: Error) => reject(new NotAZipError(err.message)));
    zip.readEntry();
  });
  return { zip, entries };
}

export interface AnalysisInput {
  fileName: string;
  bytes: Buffer;
  rules: EmulatedRule[];
  /** Wildcard patterns (`*` at the start and/or end) matched against entry paths and component names. */
  fileExclusions: string[];
}

export async function analyzeSolution(input: AnalysisInput): Promise<AnalyzedFile> {
  const { zip, entries } = await openUploadedZip(input.bytes);
  const root = `/${input.fileName.replace(/\.zip$/i, '')}`;
  const result: AnalyzedFile = { fileName: input.fileName, size: input.bytes.length, findings: [], artifacts: [{ uri: `/${input.fileName}`, length: input.bytes.length }] };
  const excluded = exclusionMatcher(input.fileExclusions);
  const read = async (name: string): Promise<Buffer | undefined> => {
    const entry = entries.get(name) ?? [...entries.entries()].find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
    if (!entry || entry.uncompressedSize > MAX_ENTRY_BYTES) return undefined;
    return readEntry(zip, entry);
  };
  try {
    const customizations = (await read('customizations.xml'))?.toString('utf8') ?? '';
    const doc = child(parseXmlLenient(customizations), 'ImportExportXml');
    const scriptRules = input.rules.filter((r) => r.target === 'script');
    const assemblyRules = input.rules.filter((r) => r.target === 'assembly');
    const processRules = input.rules.filter((r) => r.target === 'process');

    for (const script of scriptWebResources(doc, [...entries.keys()])) {
      if (scriptRules.length === 0 || excluded(script.entry) || excluded(script.name)) continue;
      const content = await read(script.entry);
      if (!content) continue;
      const uri = `${root}/WebResources/${script.name}`;
      const component = script.name.replace(/\.[^./]+$/, '');
      const found = scriptFindings(content.toString('utf8').replace(/^\uFEFF/, ''), scriptRules, uri, component);
      if (found.length > 0) result.artifacts.push({ uri, length: content.length });
      result.findings.push(...found);
    }

    for (const name of [...entries.keys()].filter((n) => /^PluginAssemblies\/.+\.dll$/i.test(n))) {
      if (assemblyRules.length === 0 || excluded(name)) continue;
      const bytes = await read(name);
      if (!bytes) continue;
      const assembly = name.split('/').pop()?.replace(/\.dll$/i, '') ?? name;
      const uri = `${root}/${name}`;
      const matched = assemblyRules.filter((r) => (r.assemblyStrings ?? []).every((s) => bytes.includes(Buffer.from(s, 'utf8')) || bytes.includes(Buffer.from(s, 'utf16le'))));
      for (const r of matched) result.findings.push({ rule: r, uri, component: assembly, message: format(r.messageTemplate, assembly) });
      if (matched.length > 0) result.artifacts.push({ uri, length: bytes.length });
    }

    if (processRules.length > 0) {
      for (const finding of await processFindings(doc, processRules, root, read, excluded)) {
        result.findings.push(finding);
        if (!result.artifacts.some((a) => a.uri === finding.uri)) result.artifacts.push({ uri: finding.uri, length: 0 });
      }
    }
  } finally {
    zip.close();
  }
  return result;
}

interface ScriptResource {
  /** Web resource name, e.g. new_/scripts/account.js */
  name: string;
  /** Zip entry holding it. */
  entry: string;
}

/** Script (type 3) and HTML (type 1) web resources from customizations.xml; without records, WebResources/*.js entries. */
function scriptWebResources(doc: XmlNode, entryNames: string[]): ScriptResource[] {
  const records = children(child(doc, 'WebResources'), 'WebResource');
  const found: ScriptResource[] = [];
  for (const record of records) {
    const type = text(record, 'WebResourceType');
    const name = text(record, 'Name');
    const entry = text(record, 'FileName').replace(/^\/+/, '');
    if ((type === '3' || type === '1') && name && entry) found.push({ name, entry });
  }
  if (found.length > 0) return found;
  return entryNames.filter((n) => /^WebResources\/.+\.(js|html?)$/i.test(n)).map((n) => ({ name: n.slice('WebResources/'.length), entry: n }));
}

function scriptFindings(source: string, rules: EmulatedRule[], uri: string, component: string): Finding[] {
  const findings: Finding[] = [];
  source.split(/\r?\n/).forEach((line, i) => {
    for (const r of rules) {
      const match = r.pattern?.exec(line);
      if (!match) continue;
      // Point at the construct, not at the character the pattern needed before it.
      const lead = match[1] !== undefined && match[0].startsWith(match[1]) ? match[1].length : 0;
      findings.push({ rule: r, uri, component, line: i + 1, column: match.index + lead + 1, message: format(r.messageTemplate, component) });
    }
  });
  return findings;
}

async function processFindings(
  doc: XmlNode,
  rules: EmulatedRule[],
  root: string,
  read: (name: string) => Promise<Buffer | undefined>,
  excluded: (name: string) => boolean,
): Promise<Finding[]> {
  const declared = new Set(children(child(doc, 'connectionreferences'), 'connectionreference')
    .map((c) => (attr(c, 'connectionreferencelogicalname') ?? '').toLowerCase()));
  const findings: Finding[] = [];
  for (const workflow of children(child(doc, 'Workflows'), 'Workflow')) {
    const name = attr(workflow, 'Name') || text(workflow, 'Name') || 'process';
    const file = (text(workflow, 'JsonFileName') || text(workflow, 'XamlFileName')).replace(/^\/+/, '');
    if (file && excluded(file)) continue;
    if (excluded(name)) continue;
    const uri = `${root}/${file || `Workflows/${name}`}`;
    const inactive = rules.find((r) => r.code === 'meta-remove-inactive');
    if (inactive && text(workflow, 'StateCode') === '0') {
      findings.push({ rule: inactive, uri, component: name, message: format(inactive.messageTemplate, name) });
    }
    const invalidReference = rules.find((r) => r.code === 'flow-avoid-invalid-reference');
    if (invalidReference && /\.json$/i.test(file)) {
      const json = (await read(file))?.toString('utf8').replace(/^\uFEFF/, '');
      for (const reference of connectionReferencesOf(json)) {
        if (!declared.has(reference.toLowerCase())) {
          findings.push({ rule: invalidReference, uri, component: name, message: `${format(invalidReference.messageTemplate, name)} Missing: ${reference}.` });
        }
      }
    }
  }
  return findings;
}

/** connectionReferenceLogicalName values of a flow definition (properties.connectionReferences.*.connection). */
function connectionReferencesOf(json: string | undefined): string[] {
  if (!json) return [];
  try {
    const flow = JSON.parse(json) as { properties?: { connectionReferences?: Record<string, { connection?: { connectionReferenceLogicalName?: unknown } }> } };
    return Object.values(flow.properties?.connectionReferences ?? {})
      .map((c) => c?.connection?.connectionReferenceLogicalName)
      .filter((n): n is string => typeof n === 'string' && n !== '');
  } catch {
    return [];
  }
}

/** `*jquery*`, `*.min.js`, `new_/lib*`: `*` at the start and/or end, case-insensitive. */
function exclusionMatcher(patterns: string[]): (name: string) => boolean {
  const tests = patterns.filter((p) => p.trim() !== '').map((p) => {
    const trimmed = p.trim().toLowerCase();
    const starts = trimmed.startsWith('*');
    const ends = trimmed.endsWith('*') && trimmed.length > 1;
    const core = trimmed.replace(/^\*/, '').replace(/\*$/, '');
    return (name: string): boolean => {
      const n = name.toLowerCase();
      const base = n.split('/').pop() ?? n;
      const match = (s: string): boolean =>
        starts && ends ? s.includes(core) : starts ? s.endsWith(core) : ends ? s.startsWith(core) : s === core;
      return match(n) || match(base);
    };
  });
  return (name) => tests.some((t) => t(name));
}

function format(template: string, component: string): string {
  return template.replace('{0}', component);
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) {
        reject(err ?? new Error('no stream'));
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
      stream.on('error', reject);
    });
  });
}
