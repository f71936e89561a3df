/**
 * Read-only queries about solutions in an environment (protocol.md §3.3, §4.3–4.4): installed solutions, one
 * solution with its publisher, holding solutions, a solution's connection references and environment variables
 * (for pre-flight checks), and the solution operation currently running (best effort).
 */
import type { DataverseClient } from '../client';

export interface PublisherInfo {
  publisherid: string;
  uniquename: string;
  friendlyname?: string | null;
  customizationprefix?: string | null;
}

export interface SolutionInfo {
  solutionid: string;
  uniquename: string;
  friendlyname: string;
  version: string;
  ismanaged: boolean;
  isvisible?: boolean;
  installedon?: string | null;
  modifiedon?: string | null;
  publisher?: PublisherInfo;
}

const SOLUTION_COLUMNS = 'solutionid,uniquename,friendlyname,version,ismanaged,isvisible,installedon,modifiedon';
const PUBLISHER_EXPAND = 'publisherid($select=publisherid,uniquename,friendlyname,customizationprefix)';

type SolutionRow = Omit<SolutionInfo, 'publisher'> & { publisherid?: PublisherInfo | null };

function withoutEtag<T extends object>(row: T): T {
  const copy = { ...row } as Record<string, unknown>;
  delete copy['@odata.etag'];
  return copy as T;
}

function toInfo(row: SolutionRow): SolutionInfo {
  const { publisherid, ...rest } = withoutEtag(row);
  return publisherid ? { ...rest, publisher: withoutEtag(publisherid) } : rest;
}

const quote = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** Follows @odata.nextLink pages (the server decides the page size). */
async function getAll<T>(client: DataverseClient, path: string, query: Record<string, string>, operation: string,
  signal?: AbortSignal): Promise<T[]> {
  const rows: T[] = [];
  let page = await client.get<{ value?: T[]; '@odata.nextLink'?: string }>(path, { operation, query, signal });
  rows.push(...(page?.value ?? []));
  while (page?.['@odata.nextLink']) {
    page = await client.get<{ value?: T[]; '@odata.nextLink'?: string }>(page['@odata.nextLink'], { operation, signal });
    rows.push(...(page?.value ?? []));
  }
  return rows;
}

/** Solutions installed in the environment (visible ones only unless includeHidden), with their publishers, by unique name. */
export async function listSolutions(client: DataverseClient, options: { includeHidden?: boolean; managed?: boolean; signal?: AbortSignal } = {}): Promise<SolutionInfo[]> {
  const filters = [
    options.includeHidden ? undefined : 'isvisible eq true',
    options.managed === undefined ? undefined : `ismanaged eq ${options.managed}`,
  ].filter((f): f is string => f !== undefined);
  const rows = await getAll<SolutionRow>(client, 'solutions', {
    $select: SOLUTION_COLUMNS,
    $expand: PUBLISHER_EXPAND,
    ...(filters.length > 0 ? { $filter: filters.join(' and ') } : {}),
    $orderby: 'uniquename asc',
  }, 'list solutions', options.signal);
  return rows.map(toInfo);
}

/** The solution with this unique name (case-insensitive, as Dataverse compares), with its publisher; undefined when absent. */
export async function getSolution(client: DataverseClient, uniqueName: string, options: { signal?: AbortSignal } = {}): Promise<SolutionInfo | undefined> {
  const result = await client.get<{ value?: SolutionRow[] }>('solutions', {
    operation: `find solution '${uniqueName}'`,
    query: { $select: SOLUTION_COLUMNS, $expand: PUBLISHER_EXPAND, $filter: `uniquename eq ${quote(uniqueName)}` },
    signal: options.signal,
  });
  const row = result?.value?.[0];
  return row ? toInfo(row) : undefined;
}

/** The name of the holding solution an upgrade stages for `uniqueName`. */
export function holdingSolutionName(uniqueName: string): string {
  return `${uniqueName}_Upgrade`;
}

/** The holding solution `<uniqueName>_Upgrade` waiting for DeleteAndPromote, if any. */
export function getHoldingSolution(client: DataverseClient, uniqueName: string, options: { signal?: AbortSignal } = {}): Promise<SolutionInfo | undefined> {
  return getSolution(client, holdingSolutionName(uniqueName), options);
}

export interface SolutionComponentSummary {
  componentType?: number | null;
  componentTypeName?: string | null;
  schemaName?: string | null;
  name?: string | null;
  objectId?: string | null;
}

/** Components of a solution from msdyn_solutioncomponentsummaries (the maker portal's view). */
export async function listSolutionComponents(client: DataverseClient, solutionId: string, options: { signal?: AbortSignal } = {}): Promise<SolutionComponentSummary[]> {
  const rows = await getAll<Record<string, unknown>>(client, 'msdyn_solutioncomponentsummaries', {
    $select: 'msdyn_componenttype,msdyn_componenttypename,msdyn_schemaname,msdyn_name,msdyn_objectid',
    $filter: `msdyn_solutionid eq ${solutionId}`,
  }, 'list solution components', options.signal);
  return rows.map((r) => ({
    componentType: r.msdyn_componenttype as number | null,
    componentTypeName: r.msdyn_componenttypename as string | null,
    schemaName: r.msdyn_schemaname as string | null,
    name: r.msdyn_name as string | null,
    objectId: r.msdyn_objectid as string | null,
  }));
}

const normalizedTypeName = (c: SolutionComponentSummary): string => (c.componentTypeName ?? '').toLowerCase().replace(/[\s_]/g, '');

export interface ConnectionReferenceInfo {
  connectionreferenceid: string;
  connectionreferencelogicalname: string;
  connectionreferencedisplayname?: string | null;
  connectorid?: string | null;
  /** The connection the reference uses; empty when none is set. */
  connectionid?: string | null;
}

export interface EnvironmentVariableInfo {
  environmentvariabledefinitionid: string;
  schemaname: string;
  displayname?: string | null;
  /** 100000000 String, 100000001 Number, 100000002 Boolean, 100000003 JSON, 100000004 Data source, 100000005 Secret. */
  type?: number | null;
  defaultvalue?: string | null;
  /** The current value row, when the environment has one. */
  value?: { environmentvariablevalueid: string; value?: string | null };
}

/** Names per request: keeps the $filter (and URL) short. */
const FILTER_BATCH = 25;

async function byNames<T>(client: DataverseClient, set: string, column: string, select: string, names: string[], operation: string,
  signal?: AbortSignal): Promise<T[]> {
  const rows: T[] = [];
  const unique = [...new Set(names)];
  for (let i = 0; i < unique.length; i += FILTER_BATCH) {
    const filter = unique.slice(i, i + FILTER_BATCH).map((n) => `${column} eq ${quote(n)}`).join(' or ');
    rows.push(...await getAll<T>(client, set, { $select: select, $filter: filter }, operation, signal));
  }
  return rows;
}

/** Connection references with these logical names (as found in a solution zip), with their connections. */
export async function getConnectionReferences(client: DataverseClient, logicalNames: string[], options: { signal?: AbortSignal } = {}): Promise<ConnectionReferenceInfo[]> {
  const rows = await byNames<ConnectionReferenceInfo & Record<string, unknown>>(client, 'connectionreferences', 'connectionreferencelogicalname',
    'connectionreferenceid,connectionreferencelogicalname,connectionreferencedisplayname,connectorid,connectionid',
    logicalNames, 'read connection references', options.signal);
  return rows.map((row) => withoutEtag(row) as ConnectionReferenceInfo);
}

/** Environment variable definitions with these schema names, each with its current value row when there is one. */
export async function getEnvironmentVariables(client: DataverseClient, schemaNames: string[], options: { signal?: AbortSignal } = {}): Promise<EnvironmentVariableInfo[]> {
  const definitions = await byNames<EnvironmentVariableInfo & Record<string, unknown>>(client, 'environmentvariabledefinitions', 'schemaname',
    'environmentvariabledefinitionid,schemaname,displayname,type,defaultvalue', schemaNames, 'read environment variable definitions', options.signal);
  const values = await byNames<{ environmentvariablevalueid: string; value?: string | null; schemaname?: string; _environmentvariabledefinitionid_value?: string }>(
    client, 'environmentvariablevalues', 'schemaname', 'environmentvariablevalueid,schemaname,value,_environmentvariabledefinitionid_value',
    definitions.map((d) => d.schemaname), 'read environment variable values', options.signal);
  return definitions.map((row) => {
    const definition = withoutEtag(row);
    const value = values.find((v) => v._environmentvariabledefinitionid_value === definition.environmentvariabledefinitionid)
      ?? values.find((v) => v.schemaname?.toLowerCase() === String(definition.schemaname).toLowerCase());
    const info = definition as EnvironmentVariableInfo;
    return value ? { ...info, value: { environmentvariablevalueid: value.environmentvariablevalueid, value: value.value } } : info;
  });
}

/**
 * Connection references and environment variables of an installed solution (from its component summary;
 * component type names are compared loosely because custom component types are numbered per organization).
 */
export async function getSolutionConfiguration(client: DataverseClient, solutionId: string, options: { signal?: AbortSignal } = {}):
  Promise<{ connectionReferences: ConnectionReferenceInfo[]; environmentVariables: EnvironmentVariableInfo[] }> {
  const components = await listSolutionComponents(client, solutionId, options);
  const names = (match: (c: SolutionComponentSummary) => boolean) =>
    components.filter(match).map((c) => c.schemaName ?? c.name).filter((n): n is string => typeof n === 'string' && n !== '');
  const referenceNames = names((c) => normalizedTypeName(c) === 'connectionreference');
  const variableNames = names((c) => c.componentType === 380 || normalizedTypeName(c) === 'environmentvariabledefinition');
  return {
    connectionReferences: referenceNames.length > 0 ? await getConnectionReferences(client, referenceNames, options) : [],
    environmentVariables: variableNames.length > 0 ? await getEnvironmentVariables(client, variableNames, options) : [],
  };
}

export interface SolutionOperationInfo {
  solutionName: string;
  /** Import, Uninstall, Export, Publish, PublishAll… (msdyn_operation). */
  operation: string;
  /** New, Upgrade, Update, Delete (msdyn_suboperation), when relevant. */
  subOperation?: string;
  version?: string | null;
  startedOn?: string | null;
}

const OPERATIONS = ['Import', 'Uninstall', 'Export', 'Publish', 'PublishAll', 'LanguageProvision', 'ImportTranslation',
  'RibbonMetadataGeneration', 'WorkflowSetState', 'None'];
const SUB_OPERATIONS = ['None', 'New', 'Upgrade', 'Update', 'Delete'];

/**
 * The solution operation in progress, from Solution History (msdyn_status = 0 Started), newest first. Best
 * effort: Solution History is not a documented lock probe (protocol.md §4.4); use it to explain a wait, never
 * to decide whether to start an operation. Undefined when none is running or the table cannot be read.
 */
export async function getActiveSolutionOperation(client: DataverseClient, options: { signal?: AbortSignal } = {}): Promise<SolutionOperationInfo | undefined> {
  let rows: Array<Record<string, unknown>>;
  try {
    const page = await client.get<{ value?: Array<Record<string, unknown>> }>('msdyn_solutionhistories', {
      operation: 'read Solution History',
      query: {
        $select: 'msdyn_name,msdyn_operation,msdyn_suboperation,msdyn_solutionversion,msdyn_starttime',
        $filter: 'msdyn_status eq 0',
        $orderby: 'msdyn_starttime desc',
        $top: 1,
      },
      retry: false,
      signal: options.signal,
    });
    rows = page?.value ?? [];
  } catch (err) {
    if (options.signal?.aborted) throw err;
    return undefined;
  }
  const row = rows[0];
  if (!row) return undefined;
  const op = typeof row.msdyn_operation === 'number' ? OPERATIONS[row.msdyn_operation] : undefined;
  const sub = typeof row.msdyn_suboperation === 'number' ? SUB_OPERATIONS[row.msdyn_suboperation] : undefined;
  return {
    solutionName: String(row.msdyn_name ?? ''),
    operation: op ?? String(row.msdyn_operation),
    subOperation: sub && sub !== 'None' ? sub : undefined,
    version: row.msdyn_solutionversion as string | null,
    startedOn: row.msdyn_starttime as string | null,
  };
}
