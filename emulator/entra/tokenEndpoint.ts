/**
 * Entra ID v2.0 token endpoint, client credentials grant:
 * `POST {base}/entra/{tenant}/oauth2/v2.0/token` (protocol.md §1.1–1.2).
 */
import { admitRequest, beforeAnswer, setIdentity, type RequestContext } from '../core/context';
import { BodyTooLargeError, headerValue, readBody, safeDecode, sendPlainJson } from '../core/http';
import { validateClientAssertion } from './clientAssertion';
import { entraErrors, sendEntraError, type EntraError } from './errors';

const TOKEN_PATH = /^\/entra\/([^/]+)\/oauth2\/v2\.0\/token$/;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export function isTokenEndpoint(path: string): boolean {
  return TOKEN_PATH.test(path);
}

export async function handleTokenRequest(rc: RequestContext): Promise<void> {
  const { emulator, req, res } = rc;
  const correlationId = headerValue(req, 'client-request-id') ?? rc.requestId;
  const fail = async (e: EntraError, headers: Record<string, string> = {}): Promise<void> => {
    if (await beforeAnswer(rc)) sendEntraError(res, e, correlationId, rc.requestId, headers);
  };

  const tenantSegment = safeDecode(TOKEN_PATH.exec(rc.path)?.[1] ?? '');
  if (rc.method !== 'POST') return fail(entraErrors.postOnly(rc.method));
  const tenant = emulator.directory.tenant(tenantSegment);
  if (!tenant) return fail(entraErrors.tenantNotFound(tenantSegment));

  let form: URLSearchParams;
  try {
    const body = await readBody(req);
    const isForm = (headerValue(req, 'content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
    form = new URLSearchParams(isForm ? body : '');
  } catch (error) {
    if (error instanceof BodyTooLargeError) return fail(entraErrors.missingParameter('grant_type'));
    throw error;
  }
  const basic = parseBasicAuth(headerValue(req, 'authorization'));
  const param = (name: string): string | undefined => form.get(name) || undefined;

  const grantType = param('grant_type');
  if (!grantType) return fail(entraErrors.missingParameter('grant_type'));
  const clientId = param('client_id') ?? basic?.clientId;
  if (!clientId) return fail(entraErrors.missingParameter('client_id'));

  const refusal = admitRequest(rc, `entra:${tenant.id}:${clientId.toLowerCase()}`);
  if (refusal) {
    return fail(entraErrors.throttled(refusal.message), { 'Retry-After': String(refusal.retryAfterSeconds) });
  }

  if (grantType !== 'client_credentials') return fail(entraErrors.unsupportedGrantType(grantType));
  const scope = param('scope');
  if (!scope) return fail(entraErrors.missingParameter('scope'));
  const app = emulator.directory.app(tenant, clientId);
  if (!app) return fail(entraErrors.appNotFound(clientId, tenantSegment));

  const secret = param('client_secret') ?? basic?.secret;
  const assertion = param('client_assertion');
  if (secret !== undefined) {
    if (app.clientSecret === undefined || secret !== app.clientSecret) return fail(entraErrors.invalidSecret(app.clientId));
  } else if (assertion !== undefined) {
    const assertionType = param('client_assertion_type');
    if (!assertionType) return fail(entraErrors.missingParameter('client_assertion_type'));
    if (assertionType !== JWT_BEARER) return fail(entraErrors.invalidAssertionType(assertionType));
    const tokenEndpoint = `${emulator.baseUrl}${rc.path}`;
    const problem = validateClientAssertion(assertion, app, tokenEndpoint, emulator.tokens);
    if (problem) return fail(problem);
  } else {
    return fail(entraErrors.noCredential());
  }

  const scopes = scope.trim().split(/\s+/);
  if (scopes.length !== 1) return fail(entraErrors.invalidScope(scope, 'Client credential flows take exactly one scope: <resource>/.default.'));
  if (!scopes[0].endsWith('/.default')) {
    return fail(entraErrors.invalidScope(scope, 'Client credential flows must have a scope value with /.default suffixed to the resource identifier.'));
  }
  const resourceName = scopes[0].slice(0, -'/.default'.length);
  const resource = emulator.directory.resolveResource(resourceName);
  if (!resource || (resource.env && resource.env.tenantId.toLowerCase() !== tenant.id.toLowerCase())) {
    return fail(entraErrors.resourceNotFound(resourceName, tenantSegment));
  }

  const identity = emulator.directory.identity(tenant.id, app.clientId);
  setIdentity(rc, identity);
  const issued = emulator.tokens.issueAccessToken({
    issuer: `${emulator.baseUrl}/entra/${tenant.id}/v2.0`,
    tenantId: tenant.id,
    appId: app.clientId,
    objectId: emulator.directory.servicePrincipalObjectId(tenant.id, app.clientId),
    resource: resource.audience,
  });
  if (!(await beforeAnswer(rc))) return;
  sendPlainJson(res, 200, {
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    ext_expires_in: issued.expiresIn,
    access_token: issued.token,
  });
}

function parseBasicAuth(header: string | undefined): { clientId: string; secret: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
  const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return { clientId: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
}
