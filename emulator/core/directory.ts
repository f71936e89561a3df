/**
 * Who and what exists in one emulator: tenants, app registrations, managed identities and
 * environments from the seed, with the URLs they get under this server's base URL.
 */
import type { EnvironmentDescriptor, Identity } from './contracts';
import type { ResolvedSeed, SeedApp, SeedManagedIdentity, SeedTenant } from './seed';
import { stableGuid } from './ids';

export const CHECKER_RESOURCE = 'https://api.advisor.powerapps.com';

export interface ResolvedResource {
  /** The token audience: the resource as the caller named it, without `/.default`. */
  audience: string;
  /** Set when the resource is an environment. */
  env?: EnvironmentDescriptor;
}

export class Directory {
  readonly environments: EnvironmentDescriptor[];

  constructor(private readonly seed: ResolvedSeed, readonly baseUrl: string) {
    this.environments = seed.environments.map((env) => {
      const { name, tenantId } = env;
      return {
        name,
        url: `${baseUrl}/env/${name}`,
        tenantId,
        organizationId: typeof env.organizationId === 'string' ? env.organizationId : stableGuid('organization', tenantId, name),
        businessUnitId: typeof env.businessUnitId === 'string' ? env.businessUnitId : stableGuid('businessunit', tenantId, name),
        seed: { ...env },
      };
    });
  }

  get tenants(): Required<SeedTenant>[] {
    return this.seed.tenants;
  }

  tenant(id: string): Required<SeedTenant> | undefined {
    return this.seed.tenants.find((t) => t.id.toLowerCase() === id.toLowerCase());
  }

  app(tenant: Required<SeedTenant>, clientId: string): SeedApp | undefined {
    return tenant.apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
  }

  /** A user-assigned identity by client id, or the system-assigned one when no client id is given. */
  managedIdentity(clientId: string | undefined): { tenant: Required<SeedTenant>; identity: SeedManagedIdentity } | undefined {
    for (const tenant of this.seed.tenants) {
      const identity = tenant.managedIdentities.find((mi) =>
        clientId ? mi.clientId.toLowerCase() === clientId.toLowerCase() : mi.systemAssigned === true);
      if (identity) return { tenant, identity };
    }
    return undefined;
  }

  environment(name: string): EnvironmentDescriptor | undefined {
    return this.environments.find((e) => e.name.toLowerCase() === name.toLowerCase());
  }

  /** An environment URL or the checker resource, with or without trailing slashes; undefined when unknown. */
  resolveResource(resource: string): ResolvedResource | undefined {
    const bare = resource.replace(/\/+$/, '').toLowerCase();
    if (bare === CHECKER_RESOURCE) return { audience: resource };
    const env = this.environments.find((e) => e.url.toLowerCase() === bare);
    return env ? { audience: resource, env } : undefined;
  }

  /** Object id of an app registration's service principal in a tenant (the token's `oid`). */
  servicePrincipalObjectId(tenantId: string, appId: string): string {
    return stableGuid('serviceprincipal', tenantId.toLowerCase(), appId.toLowerCase());
  }

  /** The caller as Dataverse sees it; the application user id is stable per app. */
  identity(tenantId: string, appId: string): Identity {
    const tenant = this.tenant(tenantId);
    const isManaged = tenant?.managedIdentities.some((mi) => mi.clientId.toLowerCase() === appId.toLowerCase()) ?? false;
    return {
      tenantId,
      appId,
      objectId: stableGuid('applicationuser', tenantId.toLowerCase(), appId.toLowerCase()),
      kind: isManaged ? 'managedIdentity' : 'app',
    };
  }
}
