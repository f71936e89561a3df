/**
 * Azure DevOps oidctoken API, the source of the client assertion for workload identity federation:
 * `POST {base}/devops/{project}/_apis/distributedtask/hubs/{hub}/plans/{plan}/jobs/{job}/oidctoken?serviceConnectionId=…&api-version=…`.
 */
import { admitRequest, beforeAnswer, type RequestContext } from '../core/context';
import { headerValue, sendPlainJson } from '../core/http';

const OIDC_PATH = /^\/devops\/[^/]+\/_apis\/distributedtask\/hubs\/[^/]+\/plans\/[^/]+\/jobs\/[^/]+\/oidctoken$/;

export function isOidcTokenPath(path: string): boolean {
  return OIDC_PATH.test(path);
}

export async function handleOidcTokenRequest(rc: RequestContext): Promise<void> {
  const { emulator, res, url } = rc;
  const fail = async (status: number, message: string, typeKey: string, headers: Record<string, string> = {}): Promise<void> => {
    if (!(await beforeAnswer(rc))) return;
    // Azure DevOps REST error shape.
    sendPlainJson(res, status, { $id: '1', innerException: null, message, typeName: `Microsoft.VisualStudio.Services.${typeKey}, Microsoft.VisualStudio.Services.Common`, typeKey, errorCode: 0, eventId: 3000 }, headers);
  };

  if (rc.method !== 'POST') return fail(405, `The oidctoken API only accepts POST (got ${rc.method}).`, 'MethodNotAllowedException');
  const bearer = /^Bearer\s+(.+)$/i.exec(headerValue(rc.req, 'authorization') ?? '')?.[1];
  if (bearer !== emulator.seed.devops.accessToken) {
    if (!(await beforeAnswer(rc))) return;
    const body = 'TF400813: The user is not authorized to access this resource. Send the job access token (System.AccessToken) as a Bearer token.';
    res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer', 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
    return;
  }
  const refusal = admitRequest(rc, 'devops:job');
  if (refusal) return fail(429, refusal.message, 'RequestBlockedException', { 'Retry-After': String(refusal.retryAfterSeconds) });
  if (!url.searchParams.get('api-version')) {
    return fail(400, 'No api-version was supplied for the POST request. An api-version, such as 7.1, must be specified.', 'VssVersionNotSpecifiedException');
  }
  const serviceConnectionId = url.searchParams.get('serviceConnectionId');
  if (!serviceConnectionId) return fail(400, "Value cannot be null. Parameter name: serviceConnectionId", 'ArgumentNullException');

  const oidcToken = emulator.tokens.issueOidcToken(`${emulator.baseUrl}/devops/`, serviceConnectionId);
  if (!(await beforeAnswer(rc))) return;
  sendPlainJson(res, 200, { oidcToken });
}
