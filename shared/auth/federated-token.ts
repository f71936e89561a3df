import { HttpError, type HttpClient } from '../http';
import { AuthError } from './errors';
import type { WorkloadIdentityCredential } from './types';

/**
 * Asks Azure DevOps for the job's OIDC token for the service connection (protocol.md §1.2):
 * POST {oidcRequestUri}?api-version=7.1&serviceConnectionId=… with the job's System.AccessToken.
 */
export async function requestFederatedToken(
  http: HttpClient,
  config: WorkloadIdentityCredential,
  signal?: AbortSignal,
): Promise<string> {
  const url = new URL(config.oidcRequestUri);
  url.searchParams.set('api-version', '7.1');
  url.searchParams.set('serviceConnectionId', config.serviceConnectionId);
  const what = `the Azure DevOps OIDC token for service connection ${config.serviceConnectionId}`;
  try {
    const response = await http.request<Record<string, unknown>>({
      method: 'POST',
      url: url.toString(),
      headers: { Authorization: `Bearer ${config.systemAccessToken}`, Accept: 'application/json', 'Content-Type': 'application/json' },
      body: '',
      // Issuing an OIDC token changes nothing on the server: safe to repeat.
      idempotent: true,
      description: 'Azure DevOps oidctoken request',
      signal,
    });
    const token = response.data?.oidcToken;
    if (typeof token !== 'string' || token === '') {
      throw new AuthError(`Azure DevOps answered without ${what}.`, 'Check System.OidcRequestUri points at the oidctoken API.', {
        tenantId: config.tenantId,
        clientId: config.clientId,
      });
    }
    return token;
  } catch (err) {
    if (!(err instanceof HttpError) || err.kind === 'aborted') throw err;
    const why = err.status === undefined ? err.message : `HTTP ${err.status}${err.serverMessage ? `: ${err.serverMessage}` : ''}`;
    throw new AuthError(
      `Could not get ${what} (${why}).`,
      'Check that the pipeline may use the service connection, that it uses workload identity federation, and that the job can access System.AccessToken.',
      { tenantId: config.tenantId, clientId: config.clientId, correlationId: err.serverRequestId },
    );
  }
}
