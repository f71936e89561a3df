/**
 * Dataverse Web API front door for `{base}/env/{name}/api/data/v9.{0,1,2}/…`: checks what the real
 * service checks before any route (bearer token, OData version headers, service protection limits),
 * answers WhoAmI and RetrieveCurrentOrganization, and hands everything else to the Dataverse module.
 */
import { admitRequest, beforeAnswer, setIdentity, type RequestContext } from './context';
import { sendJson, sendODataError, type EnvironmentDescriptor, type Identity } from './contracts';
import { headerValue, safeDecode } from './http';
import { currentOrganizationResponse, isRetrieveCurrentOrganization, parseAccessType, whoAmIResponse } from './organization';

const ENV_PATH = /^\/env\/([^/]+)(\/.*)?$/;
const API_PATH = /^\/api\/data\/v9\.([012])(?:\/(.*))?$/;

export function isDataversePath(path: string): boolean {
  return ENV_PATH.test(path);
}

export async function handleDataverseRequest(rc: RequestContext): Promise<void> {
  const { emulator, res } = rc;
  // Refusals also go through beforeAnswer, so a delay or mid-response fault applies to them too.
  const refuse = async (status: number, code: string, message: string, headers: Record<string, string> = {}): Promise<void> => {
    if (await beforeAnswer(rc)) sendODataError(res, status, code, message, headers);
  };
  const [, envName, rest = ''] = ENV_PATH.exec(rc.path) ?? [];
  const env = emulator.directory.environment(safeDecode(envName ?? ''));
  if (!env) {
    const known = emulator.directory.environments.map((e) => e.name).join(', ');
    return refuse(404, '0x80040217', `Environment '${safeDecode(envName ?? '')}' does not exist on this emulator (known: ${known}).`);
  }
  const api = API_PATH.exec(rest);
  if (!api) return refuse(404, '0x8006088a', `Resource not found: '${rest || '/'}'. The Web API lives under ${env.url}/api/data/v9.2/.`);

  const auth = authenticate(rc, env);
  if ('refusal' in auth) return refuse(401, '0x80072560', auth.refusal.message, auth.refusal.headers);
  const { identity } = auth;
  setIdentity(rc, identity);

  for (const header of ['OData-Version', 'OData-MaxVersion']) {
    const value = headerValue(rc.req, header);
    if (value !== undefined && value.trim() !== '4.0') {
      return refuse(400, '0x8006088a', `The value '${value}' of the ${header} HTTP header is invalid. Only '4.0' is supported as value for the ${header} header.`);
    }
  }

  const refusal = admitRequest(rc, `dataverse:${env.name}:${identity.tenantId}:${identity.appId}`.toLowerCase());
  if (refusal) return refuse(429, refusal.code, refusal.message, { 'Retry-After': String(refusal.retryAfterSeconds) });

  if (!(await beforeAnswer(rc))) return;
  const apiBase = `${env.url}/api/data/v9.${api[1]}`;
  const resource = safeDecode(api[2] ?? '');
  const query = rc.url.searchParams;

  if (resource === 'WhoAmI' || resource === 'WhoAmI()') {
    if (rc.method !== 'GET') return methodNotAllowed(rc, 'WhoAmI');
    return sendJson(res, 200, whoAmIResponse(apiBase, env, identity));
  }
  if (isRetrieveCurrentOrganization(resource)) {
    if (rc.method !== 'GET') return methodNotAllowed(rc, 'RetrieveCurrentOrganization');
    if (!parseAccessType(resource, query)) {
      return sendODataError(res, 400, '0x8006088a',
        "The parameter 'AccessType' in the request URI is not valid for function 'Microsoft.Dynamics.CRM.RetrieveCurrentOrganization'. " +
        "Use RetrieveCurrentOrganization(AccessType=@p)?@p=Microsoft.Dynamics.CRM.EndpointAccessType'Default'.");
    }
    return sendJson(res, 200, currentOrganizationResponse(apiBase, env));
  }

  const handled = await emulator.dataverse.handle({
    method: rc.method,
    resource,
    query,
    headers: rc.req.headers,
    req: rc.req,
    res,
    env,
    identity,
    apiBase,
    requestId: rc.requestId,
  });
  if (!handled && !res.headersSent) {
    const segment = resource.split('/')[0].replace(/\(.*$/, '') || '/';
    sendODataError(res, 404, '0x8006088a', `Resource not found for the segment '${segment}'.`);
  }
}

type Authentication = { identity: Identity } | { refusal: { message: string; headers: Record<string, string> } };

/** Checks the bearer token for this environment: the caller, or why the request gets a 401. */
function authenticate(rc: RequestContext, env: EnvironmentDescriptor): Authentication {
  const { emulator } = rc;
  const challenge = (extra: string): string =>
    `Bearer ${extra}authorization_uri=${emulator.baseUrl}/entra/${env.tenantId}/oauth2/authorize, resource_id=${env.url}/`;
  const refuse = (message: string, error?: { description: string }): Authentication => {
    const header = error ? challenge(`error="invalid_token", error_description="${error.description}", `) : challenge('');
    return { refusal: { message, headers: { 'WWW-Authenticate': header } } };
  };

  const token = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(rc.req, 'authorization') ?? '')?.[1];
  if (!token) return refuse('No bearer token was sent. Send Authorization: Bearer <access token for this environment>.');
  const check = emulator.tokens.checkAccessToken(token);
  if (!check.ok) {
    if (check.reason === 'expired') {
      const exp = typeof check.claims?.exp === 'number' ? new Date(check.claims.exp * 1000).toISOString() : 'an earlier time';
      return refuse(`The access token has expired (expired at ${exp}). Acquire a new token and retry.`, { description: 'The access token is expired' });
    }
    return refuse('The access token is invalid: it is not a token this service issued, or it was altered.', { description: 'The access token is invalid' });
  }
  const { aud, tid, appid } = check.claims;
  const audience = typeof aud === 'string' ? aud.replace(/\/+$/, '').toLowerCase() : '';
  if (audience !== env.url.toLowerCase()) {
    return refuse(`The access token's audience '${String(aud)}' does not match this environment (${env.url}). Request a token with scope ${env.url}/.default.`,
      { description: `The audience '${String(aud)}' is invalid` });
  }
  if (typeof tid !== 'string' || typeof appid !== 'string' || tid.toLowerCase() !== env.tenantId.toLowerCase()) {
    return refuse(`The access token was issued for tenant '${String(tid)}', but this environment belongs to tenant '${env.tenantId}'.`,
      { description: 'The issuer is invalid' });
  }
  return { identity: emulator.directory.identity(env.tenantId, appid) };
}

function methodNotAllowed(rc: RequestContext, name: string): void {
  sendODataError(rc.res, 405, '0x8006088a', `The requested resource does not support http method '${rc.method}'. ${name} is a function: use GET.`, { Allow: 'GET' });
}
