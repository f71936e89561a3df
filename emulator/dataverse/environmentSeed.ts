/**
 * The keys the Dataverse module reads from an environment's seed entry (emulator/LIFECYCLE.md documents them).
 * Anything malformed is a configuration error that names the environment and the key.
 */
import type { ComponentRef } from './model';
import { parseVersion } from './version';

export interface FirstPartySolution {
  uniqueName: string;
  friendlyName?: string;
  version: string;
}

/** What a fresh Dataverse environment (no Dynamics 365 apps) has installed: Microsoft's own managed solutions. */
export const DEFAULT_FIRST_PARTY_SOLUTIONS: FirstPartySolution[] = [
  { uniqueName: 'System', friendlyName: 'System Solution', version: '9.2.25101.160' },
  { uniqueName: 'Active', friendlyName: 'Active Solution', version: '1.0' },
  { uniqueName: 'Basic', friendlyName: 'Basic Solution', version: '1.0' },
  { uniqueName: 'AppModuleWebResources', friendlyName: 'App Module Web Resources', version: '2.5.1.1' },
  { uniqueName: 'AuthorizationCore', friendlyName: 'Authorization Core', version: '1.109.0.0' },
  { uniqueName: 'BaseCustomControlsCore', friendlyName: 'Base Custom Controls Core', version: '9.0.2510.1001' },
  { uniqueName: 'msdyn_PowerAppsThemingSettings', friendlyName: 'Power Apps Theming Settings', version: '1.0.0.30' },
  { uniqueName: 'msdyn_FlowApprovalsCore', friendlyName: 'Flow Approvals Core', version: '2.0.6.2' },
];

/**
 * Standard tables every environment has (from the System solution, whose components are otherwise not
 * modelled), so that a requirement on one of them — exports often list e.g. contact as `solution="Active"` —
 * is satisfied as it is in a real environment. The `systemTables` seed key replaces the list.
 */
export const DEFAULT_SYSTEM_TABLES = [
  'account', 'activitypointer', 'annotation', 'appointment', 'businessunit', 'connection', 'contact', 'email',
  'organization', 'phonecall', 'queue', 'queueitem', 'systemuser', 'task', 'team', 'transactioncurrency',
];

export interface SeedConnection {
  id: string;
  connectorId: string;
  displayName: string;
  /** Object id (or client id) of the owner. */
  owner: string;
  /** Object ids or client ids the connection is shared with; "*" shares it with everyone. */
  sharedWith: string[];
}

export interface SeedSolutionZip {
  zip: string;
}

export interface DataverseEnvironmentSeed {
  timeScale: number;
  firstPartySolutions: FirstPartySolution[];
  solutions: SeedSolutionZip[];
  connections: SeedConnection[];
  unmanagedComponents: ComponentRef[];
  systemTables: string[];
}

export const DEFAULT_TIME_SCALE = 0.1;

function fail(env: string, message: string): never {
  throw new Error(`Seed: environment '${env}': ${message}`);
}

function readFirstParty(env: string, raw: unknown): FirstPartySolution[] {
  if (raw === undefined) return DEFAULT_FIRST_PARTY_SOLUTIONS;
  if (!Array.isArray(raw)) fail(env, '"firstPartySolutions" must be an array of { uniqueName, version }.');
  return raw.map((item: unknown, i) => {
    const s = item as Partial<FirstPartySolution>;
    if (typeof s?.uniqueName !== 'string' || typeof s.version !== 'string' || !parseVersion(s.version)) {
      fail(env, `firstPartySolutions[${i}] must be { uniqueName: string, version: "a.b[.c[.d]]" }.`);
    }
    return { uniqueName: s.uniqueName, version: s.version, friendlyName: s.friendlyName };
  });
}

function readConnections(env: string, raw: unknown): SeedConnection[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) fail(env, '"connections" must be an array.');
  return raw.map((item: unknown, i) => {
    const c = item as Partial<SeedConnection>;
    if (typeof c?.id !== 'string' || typeof c.connectorId !== 'string') {
      fail(env, `connections[${i}] needs "id" and "connectorId" (e.g. "/providers/Microsoft.PowerApps/apis/shared_sharepointonline").`);
    }
    const sharedWith = c.sharedWith ?? [];
    if (!Array.isArray(sharedWith) || sharedWith.some((s) => typeof s !== 'string')) fail(env, `connections[${i}].sharedWith must be an array of strings.`);
    return {
      id: c.id,
      connectorId: c.connectorId,
      displayName: typeof c.displayName === 'string' ? c.displayName : c.id,
      owner: typeof c.owner === 'string' ? c.owner : '00000000-0000-0000-0000-00000000a11c',
      sharedWith,
    };
  });
}

export function readEnvironmentSeed(env: string, seed: Record<string, unknown>): DataverseEnvironmentSeed {
  const timeScale = seed.timeScale ?? DEFAULT_TIME_SCALE;
  if (typeof timeScale !== 'number' || !(timeScale >= 0)) fail(env, '"timeScale" must be a number >= 0 (0 = instant, 1 = realistic).');
  const solutions = seed.solutions ?? [];
  if (!Array.isArray(solutions) || solutions.some((s) => typeof (s as SeedSolutionZip)?.zip !== 'string')) {
    fail(env, '"solutions" must be an array of { zip: "<path to a solution zip>" }.');
  }
  const unmanaged = seed.unmanagedComponents ?? [];
  if (!Array.isArray(unmanaged) || unmanaged.some((c) => typeof (c as ComponentRef)?.type !== 'string' && typeof (c as { type?: unknown })?.type !== 'number')) {
    fail(env, '"unmanagedComponents" must be an array of { type, schemaName?, id? }.');
  }
  const systemTables = seed.systemTables ?? DEFAULT_SYSTEM_TABLES;
  if (!Array.isArray(systemTables) || systemTables.some((t) => typeof t !== 'string')) {
    fail(env, '"systemTables" must be an array of table logical names (e.g. ["account", "contact"]).');
  }
  return {
    timeScale,
    systemTables: (systemTables as string[]).map((t) => t.toLowerCase()),
    firstPartySolutions: readFirstParty(env, seed.firstPartySolutions),
    solutions: solutions as SeedSolutionZip[],
    connections: readConnections(env, seed.connections),
    unmanagedComponents: (unmanaged as { type: string | number; schemaName?: string; id?: string }[])
      .map((c) => ({ type: String(c.type).toLowerCase(), schemaName: c.schemaName, id: c.id })),
  };
}
