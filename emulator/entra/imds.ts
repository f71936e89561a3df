/**
 * Azure Instance Metadata Service token endpoint for managed identities:
 * `GET {base}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…]`, header `Metadata: true`.
 */
import { admitRequest, beforeAnswer, setIdentity, type RequestContext } from '../core/context';
import { headerValue, sendPlainJson } from '../core/http';

export const IMDS_PATH = '/metadata/identity/oauth2/token';

export async function handleImdsRequest(rc: RequestContext): Promise<void> {
  const { emulator, res, url } = rc;
  const fail = async (status: number, error: string, description: string, headers: Record<string, string> = {}): Promise<void> => {
    if (await beforeAnswer(rc)) sendPlainJson(res, status, { error, error_description: description }, headers);
  };

  if (rc.method !== 'GET') return fail(405, 'invalid_request', `The IMDS token endpoint only accepts GET (got ${rc.method}).`);
  if (headerValue(rc.req, 'metadata')?.toLowerCase() !== 'true') return fail(400, 'invalid_request', 'Required metadata header not specified');
  const apiVersion = url.searchParams.get('api-version');
  if (!apiVersion) return fail(400, 'invalid_request', "Required query variable 'api-version' is missing");
  const resourceName = url.searchParams.get('resource');
  if (!resourceName) return fail(400, 'invalid_request', "Required query variable 'resource' is missing");
  const clientId = url.searchParams.get('client_id') ?? url.searchParams.get('msi_res_id') ?? undefined;

  const refusal = admitRequest(rc, `imds:${(clientId ?? 'system').toLowerCase()}`);
  if (refusal) return fail(429, 'too_many_requests', refusal.message, { 'Retry-After': String(refusal.retryAfterSeconds) });

  const found = emulator.directory.managedIdentity(clientId);
  if (!found) {
    return fail(400, 'invalid_request', clientId
      ? `Identity not found: no user-assigned managed identity with client id '${clientId}' is assigned to this VM.`
      : 'Identity not found: this VM has no system-assigned managed identity; pass client_id of a user-assigned one.');
  }
  const resource = emulator.directory.resolveResource(resourceName);
  if (!resource || (resource.env && resource.env.tenantId.toLowerCase() !== found.tenant.id.toLowerCase())) {
    return fail(400, 'invalid_resource',
      `AADSTS500011: The resource principal named ${resourceName} was not found in the tenant named ${found.tenant.id}. ` +
      'This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.');
  }

  const { tenant, identity } = found;
  setIdentity(rc, emulator.directory.identity(tenant.id, identity.clientId));
  const issued = emulator.tokens.issueAccessToken({
    issuer: `${emulator.baseUrl}/entra/${tenant.id}/`,
    tenantId: tenant.id,
    appId: identity.clientId,
    objectId: identity.objectId,
    resource: resource.audience,
  });
  if (!(await beforeAnswer(rc))) return;
  // IMDS sends the numbers as strings.
  sendPlainJson(res, 200, {
    access_token: issued.token,
    client_id: identity.clientId,
    expires_in: String(issued.expiresIn),
    expires_on: String(issued.expiresOn),
    ext_expires_in: String(issued.expiresIn),
    not_before: String(issued.expiresOn - issued.expiresIn),
    resource: resourceName,
    token_type: 'Bearer',
  });
}
