/** The two connectivity functions the core answers itself: WhoAmI and RetrieveCurrentOrganization (protocol.md §3.1–3.2). */
import type { EnvironmentDescriptor, Identity } from './contracts';
import { stableGuid } from './ids';

export const ORGANIZATION_VERSION = '9.2.25013.00168';

export function whoAmIResponse(apiBase: string, env: EnvironmentDescriptor, identity: Identity): Record<string, string> {
  return {
    '@odata.context': `${apiBase}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
    BusinessUnitId: env.businessUnitId,
    UserId: identity.objectId,
    OrganizationId: env.organizationId,
  };
}

const ACCESS_TYPES = ['Default', 'Internet', 'Intranet'];
const FUNCTION_CALL = /^RetrieveCurrentOrganization\((.*)\)$/;

export function isRetrieveCurrentOrganization(resource: string): boolean {
  return FUNCTION_CALL.test(resource);
}

/**
 * The AccessType argument, inline (`AccessType=Microsoft.Dynamics.CRM.EndpointAccessType'Default'`) or
 * as a parameter alias (`AccessType=@p` with `?@p=…`); undefined when missing or not an EndpointAccessType.
 */
export function parseAccessType(resource: string, query: URLSearchParams): string | undefined {
  const args = FUNCTION_CALL.exec(resource)?.[1] ?? '';
  const match = /^\s*AccessType\s*=\s*(.+?)\s*$/.exec(args);
  if (!match) return undefined;
  const raw = match[1].startsWith('@') ? query.get(match[1]) ?? '' : match[1];
  const value = /^(?:Microsoft\.Dynamics\.CRM\.EndpointAccessType)?'([A-Za-z]+)'$/.exec(raw.trim())?.[1] ?? raw.trim();
  if (ACCESS_TYPES.includes(value)) return value;
  const index = Number(value);
  return Number.isInteger(index) && index >= 0 && index < ACCESS_TYPES.length && value !== '' ? ACCESS_TYPES[index] : undefined;
}

export function currentOrganizationResponse(apiBase: string, env: EnvironmentDescriptor): Record<string, unknown> {
  const friendlyName = typeof env.seed.friendlyName === 'string' ? env.seed.friendlyName : `Emulator ${env.name}`;
  const webApplication = `${env.url}/`;
  return {
    '@odata.context': `${apiBase}/$metadata#Microsoft.Dynamics.CRM.RetrieveCurrentOrganizationResponse`,
    Detail: {
      OrganizationId: env.organizationId,
      FriendlyName: friendlyName,
      OrganizationVersion: ORGANIZATION_VERSION,
      EnvironmentId: stableGuid('environment', env.tenantId, env.name),
      DatacenterId: stableGuid('datacenter', 'emulator'),
      Geo: 'NA',
      TenantId: env.tenantId,
      UrlName: env.name,
      UniqueName: `emulator${env.name.replace(/[^A-Za-z0-9]/g, '').toLowerCase()}`,
      State: 'Enabled',
      SchemaType: 'Standard',
      OrganizationType: 'Customer',
      Endpoints: {
        Count: 3,
        IsReadOnly: false,
        Keys: ['WebApplication', 'OrganizationService', 'OrganizationDataService'],
        Values: [webApplication, `${env.url}/XRMServices/2011/Organization.svc`, `${env.url}/XRMServices/2011/OrganizationData.svc`],
      },
    },
  };
}
