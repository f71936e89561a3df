/**
 * Seed: the identities, environments and limits an emulator starts with (and returns to on reset).
 * The format is documented in emulator/README.md; `loadSeed` validates it and fills in defaults.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { DEFAULT_DEVOPS_PROJECTS, resolveDevOpsProjects, type ResolvedDevOpsProject, type SeedDevOpsProject } from '../devops/seed';

export interface SeedApp {
  clientId: string;
  displayName?: string;
  clientSecret?: string;
  /** Public certificate (PEM) whose private key signs client assertions. */
  certificatePem?: string;
  /** Accepts an oidc token this emulator issued for one of `federatedServiceConnections`. */
  federated?: boolean;
  federatedServiceConnections?: string[];
}

export interface SeedManagedIdentity {
  clientId: string;
  /** Object id of the identity's service principal (the token's `oid`). */
  objectId: string;
  systemAssigned?: boolean;
}

export interface SeedTenant {
  id: string;
  apps?: SeedApp[];
  managedIdentities?: SeedManagedIdentity[];
}

export interface SeedEnvironment {
  name: string;
  /** Default: the first tenant. */
  tenantId?: string;
  /** Every other key is passed untouched to the Dataverse module as `EnvironmentDescriptor.seed`. */
  [key: string]: unknown;
}

export interface Limits {
  requestsPerWindow: number;
  windowSeconds: number;
  concurrentRequests: number;
  /** Request paths the limits apply to (same patterns as faults). Default: every Dataverse Web API path. */
  paths: string[];
}

/** How the emulated Power Apps checker answers (emulator/README.md, "Power Apps checker"). */
export interface CheckerSeed {
  /** Status polls answered 202 (in progress) before the analysis is done. Default 2. */
  statusPolls?: number;
  /** Final status of every analysis; 'FinishedWithErrors' and 'Failed' are for testing error handling. Default 'Finished'. */
  outcome?: 'Finished' | 'FinishedWithErrors' | 'Failed';
}

export interface Seed {
  tokenLifetimeSeconds?: number;
  tenants?: SeedTenant[];
  environments?: SeedEnvironment[];
  /** The job access token (System.AccessToken) and the projects of the collection (work items). */
  devops?: { accessToken?: string; projects?: SeedDevOpsProject[] };
  limits?: Partial<Limits>;
  checker?: CheckerSeed;
}

/** A seed with every default applied. */
export interface ResolvedSeed {
  tokenLifetimeSeconds: number;
  tenants: Required<SeedTenant>[];
  environments: (SeedEnvironment & { tenantId: string })[];
  devops: { accessToken: string; projects: ResolvedDevOpsProject[] };
  limits: Limits;
  checker: Required<CheckerSeed>;
}

/** Fixed ids and secrets of the default seed, so people can script against an emulator started without one. */
export const DEFAULTS = {
  tenantId: '11111111-1111-4111-8111-111111111111',
  clientId: '22222222-2222-4222-8222-222222222222',
  clientSecret: 'emulator-client-secret~Q8v2',
  systemAssignedIdentityClientId: '33333333-3333-4333-8333-333333333333',
  systemAssignedIdentityObjectId: '33333333-0000-4000-8000-333333333333',
  userAssignedIdentityClientId: '44444444-4444-4444-8444-444444444444',
  userAssignedIdentityObjectId: '44444444-0000-4000-8000-444444444444',
  serviceConnectionId: '55555555-5555-4555-8555-555555555555',
  devopsAccessToken: 'emulator-devops-access-token~J7k3',
  tokenLifetimeSeconds: 3599,
  limits: { requestsPerWindow: 6000, windowSeconds: 300, concurrentRequests: 52, paths: ['/env/*'] } as Limits,
} as const;

export function defaultSeed(): Seed {
  return {
    tokenLifetimeSeconds: DEFAULTS.tokenLifetimeSeconds,
    tenants: [{
      id: DEFAULTS.tenantId,
      apps: [{
        clientId: DEFAULTS.clientId,
        displayName: 'Dataverse ALM (emulator)',
        clientSecret: DEFAULTS.clientSecret,
        federated: true,
        federatedServiceConnections: [DEFAULTS.serviceConnectionId],
      }],
      managedIdentities: [
        { clientId: DEFAULTS.systemAssignedIdentityClientId, objectId: DEFAULTS.systemAssignedIdentityObjectId, systemAssigned: true },
        { clientId: DEFAULTS.userAssignedIdentityClientId, objectId: DEFAULTS.userAssignedIdentityObjectId },
      ],
    }],
    environments: [{ name: 'dev' }, { name: 'test' }, { name: 'prod' }],
    devops: { accessToken: DEFAULTS.devopsAccessToken, projects: DEFAULT_DEVOPS_PROJECTS.map((p) => ({ ...p })) },
    limits: { ...DEFAULTS.limits },
  };
}

/** A seed, fault or setting that cannot be used; the message names the key and what is expected. */
export class ConfigError extends Error {}

const SEED_KEYS = ['tokenLifetimeSeconds', 'tenants', 'environments', 'devops', 'limits', 'checker'];

/** Reads (when given a path), validates and completes a seed. Keys absent from the seed take the defaults. */
export function loadSeed(seed: Seed | string | undefined): ResolvedSeed {
  const raw = typeof seed === 'string' ? readSeedFile(seed) : seed ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('Seed must be a JSON object.');
  const unknownKeys = Object.keys(raw).filter((k) => !SEED_KEYS.includes(k));
  if (unknownKeys.length > 0) throw new ConfigError(`Seed: unknown key(s) ${unknownKeys.join(', ')}; known: ${SEED_KEYS.join(', ')}.`);
  const defaults = defaultSeed();
  const tenants = (raw.tenants ?? defaults.tenants ?? []).map(resolveTenant);
  if (tenants.length === 0) throw new ConfigError('Seed: "tenants" must list at least one tenant.');
  const tenantIds = new Set(tenants.map((t) => t.id));
  const environments = (raw.environments ?? defaults.environments ?? []).map((env, i) => {
    if (typeof env?.name !== 'string' || !/^[A-Za-z0-9-]+$/.test(env.name)) {
      throw new ConfigError(`Seed: environments[${i}].name must be letters, digits or '-' (it becomes the URL segment /env/<name>).`);
    }
    const tenantId = env.tenantId ?? tenants[0].id;
    if (!tenantIds.has(tenantId)) throw new ConfigError(`Seed: environment '${env.name}' names tenant '${tenantId}', which the seed does not define.`);
    return { ...env, tenantId };
  });
  const names = environments.map((e) => e.name.toLowerCase());
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new ConfigError(`Seed: environment name '${duplicate}' is used twice.`);
  const tokenLifetimeSeconds = raw.tokenLifetimeSeconds ?? DEFAULTS.tokenLifetimeSeconds;
  checkNonNegativeInteger(tokenLifetimeSeconds, 'tokenLifetimeSeconds');
  const accessToken = raw.devops?.accessToken ?? DEFAULTS.devopsAccessToken;
  if (typeof accessToken !== 'string' || accessToken === '') throw new ConfigError('Seed: devops.accessToken must be a non-empty string.');
  return {
    tokenLifetimeSeconds,
    tenants,
    environments,
    devops: {
      accessToken,
      projects: resolveDevOpsProjects(raw.devops?.projects, (message) => {
        throw new ConfigError(message);
      }),
    },
    limits: mergeLimits({ ...DEFAULTS.limits }, raw.limits ?? {}, 'Seed: limits'),
    checker: resolveCheckerSeed(raw.checker),
  };
}

const CHECKER_OUTCOMES = ['Finished', 'FinishedWithErrors', 'Failed'];

function resolveCheckerSeed(checker: CheckerSeed | undefined): Required<CheckerSeed> {
  if (checker === undefined) return { statusPolls: 2, outcome: 'Finished' };
  if (typeof checker !== 'object' || checker === null || Array.isArray(checker)) throw new ConfigError('Seed: checker must be an object.');
  const unknownKeys = Object.keys(checker).filter((k) => k !== 'statusPolls' && k !== 'outcome');
  if (unknownKeys.length > 0) throw new ConfigError(`Seed: checker has unknown key(s) ${unknownKeys.join(', ')}; known: statusPolls, outcome.`);
  const statusPolls = checker.statusPolls ?? 2;
  if (!Number.isInteger(statusPolls) || statusPolls < 0) throw new ConfigError(`Seed: checker.statusPolls must be a whole number, 0 or more (got ${JSON.stringify(statusPolls)}).`);
  const outcome = checker.outcome ?? 'Finished';
  if (!CHECKER_OUTCOMES.includes(outcome)) throw new ConfigError(`Seed: checker.outcome must be one of ${CHECKER_OUTCOMES.join(', ')} (got ${JSON.stringify(outcome)}).`);
  return { statusPolls, outcome };
}

/** Applies a partial limits object (seed or control API), validating each value. */
export function mergeLimits(base: Limits, update: Partial<Limits>, where: string): Limits {
  if (typeof update !== 'object' || update === null) throw new ConfigError(`${where} must be an object.`);
  const merged = { ...base, ...update };
  for (const key of ['requestsPerWindow', 'windowSeconds', 'concurrentRequests'] as const) {
    if (!Number.isInteger(merged[key]) || merged[key] < 1) throw new ConfigError(`${where}.${key} must be a positive integer (got ${JSON.stringify(merged[key])}).`);
  }
  if (!Array.isArray(merged.paths) || merged.paths.some((p) => typeof p !== 'string' || !p.startsWith('/'))) {
    throw new ConfigError(`${where}.paths must be an array of paths starting with '/' (a trailing '*' matches a prefix).`);
  }
  return merged;
}

export function checkNonNegativeInteger(value: unknown, name: string): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < 0) throw new ConfigError(`${name} must be a whole number of seconds, 0 or more (got ${JSON.stringify(value)}).`);
}

function readSeedFile(file: string): Seed {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read seed file '${file}': ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Seed;
  } catch (err) {
    throw new ConfigError(`Seed file '${file}' is not valid JSON: ${(err as Error).message}`);
  }
}

function resolveTenant(tenant: SeedTenant, i: number): Required<SeedTenant> {
  if (typeof tenant?.id !== 'string' || tenant.id === '') throw new ConfigError(`Seed: tenants[${i}].id must be a non-empty string.`);
  const apps = tenant.apps ?? [];
  apps.forEach((app, j) => {
    const where = `Seed: tenants[${i}].apps[${j}]`;
    if (typeof app?.clientId !== 'string' || app.clientId === '') throw new ConfigError(`${where}.clientId must be a non-empty string.`);
    if (app.clientSecret === undefined && app.certificatePem === undefined && !app.federated) {
      throw new ConfigError(`${where} (${app.clientId}) has no credential: give clientSecret, certificatePem or federated: true.`);
    }
    if (app.certificatePem !== undefined) {
      try {
        new X509Certificate(app.certificatePem);
      } catch (err) {
        throw new ConfigError(`${where}.certificatePem is not a PEM certificate: ${(err as Error).message}`);
      }
    }
    if (app.federatedServiceConnections !== undefined && !Array.isArray(app.federatedServiceConnections)) {
      throw new ConfigError(`${where}.federatedServiceConnections must be an array of service connection ids.`);
    }
  });
  const managedIdentities = tenant.managedIdentities ?? [];
  managedIdentities.forEach((mi, j) => {
    if (typeof mi?.clientId !== 'string' || typeof mi.objectId !== 'string') {
      throw new ConfigError(`Seed: tenants[${i}].managedIdentities[${j}] needs string clientId and objectId.`);
    }
  });
  return { id: tenant.id, apps, managedIdentities };
}
