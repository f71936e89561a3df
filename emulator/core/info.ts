/** `GET /_emulator/info`: everything a script needs to talk to this emulator (contract: README). */
import type { EmulatorContext } from './context';
import { CHECKER_RESOURCE } from './directory';
import { IMDS_PATH } from '../entra/imds';
import type { Limits } from './seed';

export interface EmulatorInfo {
  baseUrl: string;
  /** Authority host for the token providers: token endpoint = `${authorityHost}/${tenantId}/oauth2/v2.0/token`. */
  authorityHost: string;
  tenantId: string;
  /** The first app registration of the first tenant (the default seed's app has a secret and trusts `serviceConnectionId`). */
  clientId: string;
  clientSecret?: string;
  serviceConnectionId?: string;
  /** name → environment URL (no trailing slash). */
  environments: Record<string, string>;
  imdsEndpoint: string;
  /** Client ids of the managed identities (the system-assigned one first when there is one). */
  managedIdentities: { clientId: string; systemAssigned: boolean }[];
  devopsCollectionUri: string;
  devopsAccessToken: string;
  /** Names of the Azure DevOps projects (work items: `${devopsCollectionUri}{project}/_apis/wit/…`). */
  devopsProjects: string[];
  /** A ready-made oidctoken URL (System.OidcRequestUri); any project/hub/plan/job ids are accepted. */
  oidcRequestUri: string;
  checkerResource: string;
  /** Base URL of the Power Apps checker emulator (the API is under `${checkerUrl}/api/…`). */
  checkerUrl: string;
  tokenLifetimeSeconds: number;
  limits: Limits;
}

export function buildInfo(ctx: EmulatorContext): EmulatorInfo {
  const { baseUrl, seed, directory } = ctx;
  const tenant = seed.tenants[0];
  const app = tenant.apps.find((a) => a.clientSecret !== undefined) ?? tenant.apps[0];
  const managed = seed.tenants.flatMap((t) => t.managedIdentities)
    .map((mi) => ({ clientId: mi.clientId, systemAssigned: mi.systemAssigned === true }))
    .sort((a, b) => Number(b.systemAssigned) - Number(a.systemAssigned));
  return {
    baseUrl,
    authorityHost: `${baseUrl}/entra`,
    tenantId: tenant.id,
    clientId: app?.clientId ?? '',
    clientSecret: app?.clientSecret,
    serviceConnectionId: app?.federatedServiceConnections?.[0],
    environments: Object.fromEntries(directory.environments.map((e) => [e.name, e.url])),
    imdsEndpoint: `${baseUrl}${IMDS_PATH}`,
    managedIdentities: managed,
    devopsCollectionUri: `${baseUrl}/devops/`,
    devopsAccessToken: seed.devops.accessToken,
    devopsProjects: seed.devops.projects.map((p) => p.name),
    oidcRequestUri: `${baseUrl}/devops/00000000-0000-4000-8000-0000000000a1/_apis/distributedtask/hubs/build/plans/00000000-0000-4000-8000-0000000000b2/jobs/00000000-0000-4000-8000-0000000000c3/oidctoken`,
    checkerResource: CHECKER_RESOURCE,
    checkerUrl: `${baseUrl}/checker`,
    tokenLifetimeSeconds: ctx.tokens.lifetimeSeconds,
    limits: { ...ctx.limits.limits },
  };
}
