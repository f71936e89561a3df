import { HttpError, type HttpClient } from '../http';
import { expiresOnFrom, type AccessToken } from './access-token';
import { aadstsCodeOf, AuthError, firstLine, hintForAadsts } from './errors';

export interface EntraTokenRequest {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  /** Resource without trailing slash; the scope is `<resource>/.default`. */
  resource: string;
  /** client_secret, or client_assertion + client_assertion_type. */
  credential: Record<string, string>;
  /** Says which credential was used, for error messages ("client secret", "certificate"…). */
  credentialKind: string;
  now: () => number;
  signal?: AbortSignal;
}

export function tokenEndpoint(authorityHost: string, tenantId: string): string {
  return `${authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}

/** Client-credentials grant at the Entra v2.0 token endpoint (protocol.md §1.1–1.2). */
export async function requestEntraToken(http: HttpClient, request: EntraTokenRequest): Promise<AccessToken> {
  const body = new URLSearchParams({
    client_id: request.clientId,
    scope: `${request.resource}/.default`,
    grant_type: 'client_credentials',
    ...request.credential,
  });
  const who = `application ${request.clientId} in tenant ${request.tenantId}`;
  try {
    const response = await http.request<Record<string, unknown>>({
      method: 'POST',
      url: tokenEndpoint(request.authorityHost, request.tenantId),
      headers: { Accept: 'application/json' },
      body,
      // Minting a token has no side effect, so repeating the call after a failure is harmless.
      idempotent: true,
      description: 'Entra token request',
      signal: request.signal,
    });
    const token = response.data?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new AuthError(
        `Microsoft Entra ID answered the token request for ${who} without an access token.`,
        'Check the authority host points at a Microsoft Entra ID token endpoint.',
        { tenantId: request.tenantId, clientId: request.clientId },
      );
    }
    return { token, expiresOnMs: expiresOnFrom(response.data.expires_in, request.now()) };
  } catch (err) {
    if (!(err instanceof HttpError) || err.kind === 'aborted') throw err;
    if (err.kind !== 'status') {
      throw new AuthError(
        `Could not reach Microsoft Entra ID at ${new URL(request.authorityHost).host} to get a token for ${who} (${err.message}).`,
        'Check the authority host and the agent\'s network and proxy settings.',
        { tenantId: request.tenantId, clientId: request.clientId },
      );
    }
    const code = aadstsCodeOf(err.body);
    const aadstsCode = code === undefined ? undefined : `AADSTS${code}`;
    const description = firstLine(err.serverMessage);
    const correlation = err.serverRequestId ? ` (correlation id ${err.serverRequestId})` : '';
    const why = [aadstsCode, description?.replace(/^AADSTS\d+:\s*/, '') ?? err.serverCode ?? `HTTP ${err.status}`]
      .filter(Boolean)
      .join(': ');
    throw new AuthError(
      `Microsoft Entra ID refused a token (${request.credentialKind}) for ${who}: ${why}${correlation}.`,
      hintForAadsts(code),
      { tenantId: request.tenantId, clientId: request.clientId, aadstsCode, description, correlationId: err.serverRequestId },
    );
  }
}
