/**
 * The import job log (importjob.data, protocol.md §4.2): an undocumented `<importexportxml>` document whose
 * shape was observed in real logs. Parsed defensively: sections and attribute names are matched
 * case-insensitively, and every `<result>` element is read, since a manifest `success` can coexist with
 * component-level failures.
 */
import { componentTypeName } from './component-types';
import { attr, childNamed, childrenNamed, parseXmlTree, XmlParseError, type XmlNode } from './xml-tree';

export type ImportOutcomeKind = 'success' | 'warning' | 'failure' | 'unknown';

export interface ImportLogResult {
  /** success | failure | warning as written by the platform (lower-cased). */
  result: string;
  errorCode?: string;
  errorText?: string;
}

export interface ImportLogSolution {
  uniqueName?: string;
  friendlyName?: string;
  version?: string;
  managed?: boolean;
  processed?: boolean;
  result?: ImportLogResult;
}

/** One component's result, e.g. section `entities`, element `entity`. */
export interface ImportLogComponent extends ImportLogResult {
  section: string;
  element: string;
  id?: string;
  name?: string;
}

/** One end of a missing dependency (the `<Required>` or `<Dependent>` element's attributes). */
export interface DependencyComponent {
  type?: string;
  schemaName?: string;
  displayName?: string;
  /** "ProjectCore (1.0.0.3)" or "Active" */
  solution?: string;
  id?: string;
  parentSchemaName?: string;
  parentDisplayName?: string;
}

export interface MissingDependency {
  required: DependencyComponent;
  dependent: DependencyComponent;
}

export interface DeletedComponent {
  type?: string;
  schemaName?: string;
  id?: string;
}

export interface ImportJobLog {
  /** Overall verdict: the manifest result, else the root's succeeded/processed flags. */
  outcome: ImportOutcomeKind;
  processed?: boolean;
  succeeded?: boolean;
  progress?: number;
  solution: ImportLogSolution;
  components: ImportLogComponent[];
  missingDependencies: MissingDependency[];
  /** Components an upgrade removed (`<deletedComponents>`, when the server writes it). */
  deletedComponents: DeletedComponent[];
}

export class ImportLogParseError extends XmlParseError {}

/** Parses importjob.data. Throws ImportLogParseError when it is not an import log. */
export function parseImportJobLog(xml: string): ImportJobLog {
  let root: XmlNode;
  try {
    root = parseXmlTree(xml, 'The import job log');
  } catch (err) {
    throw new ImportLogParseError((err as Error).message);
  }
  if (root.name.toLowerCase() !== 'importexportxml') {
    throw new ImportLogParseError(`The import job log has root element <${root.name}>, expected <importexportxml>.`);
  }
  const manifestNode = childNamed(root, 'solutionManifests')?.children.find((c) => c.name.toLowerCase() === 'solutionmanifest');
  const solution = manifestNode ? readManifest(manifestNode) : {};
  const missingDependencies = manifestNode ? readMissingDependencies(manifestNode) : [];
  const components: ImportLogComponent[] = [];
  const deletedComponents: DeletedComponent[] = [];
  for (const section of root.children) {
    const lower = section.name.toLowerCase();
    if (lower === 'solutionmanifests') continue;
    if (lower === 'deletedcomponents') {
      deletedComponents.push(...section.children.map((c) => ({ type: attr(c, 'type'), schemaName: attr(c, 'schemaName'), id: attr(c, 'id') })));
      continue;
    }
    collectComponents(section, section.name, components);
  }
  const processed = flag(attr(root, 'processed'));
  const succeeded = flag(attr(root, 'succeeded'));
  const progressText = attr(root, 'progress');
  const progress = progressText !== undefined && Number.isFinite(Number(progressText)) ? Number(progressText) : undefined;
  return {
    outcome: outcomeOf(solution.result, processed, succeeded, missingDependencies),
    processed,
    succeeded,
    progress,
    solution,
    components,
    missingDependencies,
    deletedComponents,
  };
}

function flag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return value.toLowerCase() === 'true' || value === '1';
}

function readResult(node: XmlNode | undefined): ImportLogResult | undefined {
  if (!node) return undefined;
  const errorCode = attr(node, 'errorcode');
  return {
    result: (attr(node, 'result') ?? 'unknown').toLowerCase(),
    errorCode: errorCode === '0' ? undefined : errorCode,
    errorText: attr(node, 'errortext'),
  };
}

function readManifest(node: XmlNode): ImportLogSolution {
  const managedText = childNamed(node, 'Managed')?.text.trim();
  const localized = childNamed(node, 'LocalizedNames')?.children[0];
  return {
    uniqueName: childNamed(node, 'UniqueName')?.text.trim() || attr(node, 'id'),
    friendlyName: attr(node, 'LocalizedName') ?? (localized ? attr(localized, 'description') : undefined),
    version: childNamed(node, 'Version')?.text.trim() || undefined,
    managed: managedText === undefined || managedText === '' ? undefined : managedText === '1' || managedText.toLowerCase() === 'true',
    processed: flag(attr(node, 'processed')),
    result: readResult(childNamed(node, 'result')),
  };
}

function dependencyEnd(node: XmlNode | undefined): DependencyComponent {
  if (!node) return {};
  return {
    type: attr(node, 'type'),
    schemaName: attr(node, 'schemaName'),
    displayName: attr(node, 'displayName'),
    solution: attr(node, 'solution'),
    id: attr(node, 'id'),
    parentSchemaName: attr(node, 'parentSchemaName'),
    parentDisplayName: attr(node, 'parentDisplayName'),
  };
}

function readMissingDependencies(manifest: XmlNode): MissingDependency[] {
  return childrenNamed(manifest, 'MissingDependencies')
    .flatMap((list) => childrenNamed(list, 'MissingDependency'))
    .map((md) => ({ required: dependencyEnd(childNamed(md, 'Required')), dependent: dependencyEnd(childNamed(md, 'Dependent')) }));
}

/** Every element with a `<result>` child below a section is a component; nested ones (sub-components) too. */
function collectComponents(node: XmlNode, section: string, out: ImportLogComponent[]): void {
  for (const child of node.children) {
    if (child.name.toLowerCase() === 'result') continue;
    const result = readResult(childNamed(child, 'result'));
    if (result) {
      out.push({
        section,
        element: child.name,
        id: attr(child, 'id'),
        name: attr(child, 'LocalizedName') ?? attr(child, 'OriginalName') ?? attr(child, 'name') ?? attr(child, 'id'),
        ...result,
      });
    }
    collectComponents(child, section, out);
  }
}

function outcomeOf(result: ImportLogResult | undefined, processed: boolean | undefined, succeeded: boolean | undefined,
  missing: MissingDependency[]): ImportOutcomeKind {
  if (result?.result === 'failure') return 'failure';
  if (result?.result === 'success' || result?.result === 'warning') return result.result;
  if (processed === true) return succeeded === false ? 'failure' : 'success';
  return missing.length > 0 ? 'failure' : 'unknown';
}

/** Component-level failures and warnings, in log order. */
export function componentIssues(log: ImportJobLog): { failures: ImportLogComponent[]; warnings: ImportLogComponent[] } {
  return {
    failures: log.components.filter((c) => c.result === 'failure'),
    warnings: log.components.filter((c) => c.result === 'warning'),
  };
}

// ---- messages -------------------------------------------------------------------------------------------

const MAX_LISTED = 10;
const GUID_LIKE = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

function quoted(value: string | undefined): string {
  return `'${value ?? '?'}'`;
}

/** "table 'new_project' (type 1)", "form 'Main form' (type 60) of 'new_project'" */
export function describeDependencyComponent(c: DependencyComponent): string {
  // Forms and views are named by their id: their display name says more.
  const schemaName = c.schemaName && GUID_LIKE.test(c.schemaName) && c.displayName ? undefined : c.schemaName;
  const name = schemaName ?? c.displayName ?? c.id;
  const display = c.displayName && schemaName && c.displayName !== schemaName ? `"${c.displayName}", ` : '';
  const type = c.type ? `${display}type ${c.type}` : display.replace(/, $/, '');
  const parent = c.parentSchemaName ?? c.parentDisplayName;
  return `${componentTypeName(c.type)} ${quoted(name)}${type ? ` (${type})` : ''}${parent ? ` of ${quoted(parent)}` : ''}`;
}

export function describeMissingDependency(md: MissingDependency): string {
  const from = md.required.solution ? ` from solution ${quoted(md.required.solution)}` : '';
  const dependent = Object.values(md.dependent).some((v) => v !== undefined) ? ` required by ${describeDependencyComponent(md.dependent)}` : '';
  return `${describeDependencyComponent(md.required)}${from}${dependent}`;
}

/** "ProjectCore (1.0.0.3)" → { name, version }; "Active" → { name: 'Active' }. */
export function parseSolutionReference(value: string): { name: string; version?: string } {
  const match = /^\s*(.+?)\s*\(\s*([\d.]+)\s*\)\s*$/.exec(value);
  return match ? { name: match[1], version: match[2] } : { name: value.trim() };
}

/** What to install before trying again, derived from the `solution` attributes of the required components. */
export function missingDependencyAdvice(missing: MissingDependency[]): string {
  const needed = new Map<string, string | undefined>();
  let unmanaged = false;
  let unknown = false;
  for (const md of missing) {
    if (!md.required.solution) {
      unknown = true;
      continue;
    }
    const ref = parseSolutionReference(md.required.solution);
    if (ref.name.toLowerCase() === 'active') {
      unmanaged = true;
      continue;
    }
    const previous = needed.get(ref.name);
    if (!needed.has(ref.name) || (ref.version && (!previous || compareDotted(ref.version, previous) > 0))) needed.set(ref.name, ref.version);
  }
  const parts: string[] = [];
  if (needed.size > 0) {
    parts.push(`install ${[...needed].map(([name, version]) => (version ? `${name} ${version} or later` : name)).join(', ')} first`);
  }
  if (unmanaged) parts.push('create the components marked \'Active\' (unmanaged customizations) in the target environment, or ship them in a solution');
  if (unknown) parts.push('install the solutions that provide the other required components');
  return parts.join('; ');
}

function compareDotted(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function describeComponentIssue(c: ImportLogComponent): string {
  const code = c.errorCode ? ` (${c.errorCode})` : '';
  return `${c.element} ${quoted(c.name ?? c.id)}: ${c.errorText ?? 'no error text'}${code}`;
}

function list(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).map((item) => `\n  - ${item}`).join('');
  return items.length > MAX_LISTED ? `${shown}\n  - … and ${items.length - MAX_LISTED} more` : shown;
}

/**
 * A readable, specific failure message: what failed, the server's reason, each missing dependency and failed
 * component, and what to do.
 */
export function describeImportFailure(log: ImportJobLog, fallback: { solutionName?: string; version?: string } = {}): string {
  const name = log.solution.uniqueName ?? fallback.solutionName ?? 'the solution';
  const version = log.solution.version ?? fallback.version;
  const head = `Import of ${name}${version ? ` ${version}` : ''} failed`;
  const { failures } = componentIssues(log);
  const missing = log.missingDependencies;
  const reasonText = log.solution.result?.errorText;
  const reasonCode = log.solution.result?.errorCode;
  let message: string;
  if (missing.length === 1) {
    message = `${head}: missing dependency: ${describeMissingDependency(missing[0])}`;
  } else if (missing.length > 1) {
    message = `${head}: ${missing.length} missing dependencies:${list(missing.map(describeMissingDependency))}`;
  } else {
    message = `${head}: ${reasonText ?? 'the server gave no reason'}${reasonCode ? ` (${reasonCode})` : ''}`;
  }
  if (missing.length > 0) {
    message += `${missing.length > 1 ? '\n' : ' '}— ${missingDependencyAdvice(missing)}, then import ${name} again.`;
    if (reasonText) message += `\nServer message: ${reasonText}${reasonCode ? ` (${reasonCode})` : ''}`;
  }
  if (failures.length > 0) message += `\nFailed components:${list(failures.map(describeComponentIssue))}`;
  return message;
}

/** One line per component warning, e.g. flows left off for want of a connection. */
export function describeImportWarnings(log: ImportJobLog): string[] {
  return componentIssues(log).warnings.map(describeComponentIssue);
}
