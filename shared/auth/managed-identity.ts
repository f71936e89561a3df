import { HttpError, type HttpClient } from '../http';
import { expiresOnFrom, type AccessToken } from './access-token';
import { AuthError, firstLine } from './errors';
import { DEFAULT_IMDS_ENDPOINT, IMDS_ENDPOINT_ENV, type ManagedIdentityCredential } from './types';

export const IMDS_HOST = '169.254.169.254';

export function imdsEndpointOf(config: ManagedIdentityCredential): string {
  return config.imdsEndpoint || process.env[IMDS_ENDPOINT_ENV] || DEFAULT_IMDS_ENDPOINT;
}

/** Token from the Azure Instance Metadata Service of the agent VM (system- or user-assigned identity). */
export async function requestManagedIdentityToken(
  http: HttpClient,
  config: ManagedIdentityCredential,
  resource: string,
  now: () => number,
  signal?: AbortSignal,
): Promise<AccessToken> {
  const url = new URL(imdsEndpointOf(config));
  url.searchParams.set('api-version', '2018-02-01');
  url.searchParams.set('resource', resource);
  if (config.clientId) url.searchParams.set('client_id', config.clientId);
  const identity = config.clientId ? `user-assigned managed identity ${config.clientId}` : 'system-assigned managed identity';
  try {
    const response = await http.request<Record<string, unknown>>({
      method: 'GET',
      url: url.toString(),
      headers: { Metadata: 'true', Accept: 'application/json' },
      timeoutMs: 15_000,
      retry: { maxAttempts: 4 },
      description: 'IMDS token request',
      signal,
    });
    const token = response.data?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new AuthError(`IMDS answered without an access token for the ${identity}.`, 'Check the IMDS endpoint.', {
        clientId: config.clientId,
      });
    }
    return { token, expiresOnMs: expiresOnFrom(response.data.expires_in, now()) };
  } catch (err) {
    if (!(err instanceof HttpError) || err.kind === 'aborted') throw err;
    if (err.kind !== 'status') {
      throw new AuthError(
        `Could not reach the Azure Instance Metadata Service (${url.host}) for a ${identity} token (${err.message}).`,
        'Managed identity works only on an agent running on an Azure VM or scale set with that identity assigned.',
        { clientId: config.clientId },
      );
    }
    const description = firstLine(err.serverMessage);
    throw new AuthError(
      `IMDS refused a token for the ${identity} and resource ${resource}: HTTP ${err.status}${err.serverCode ? ` ${err.serverCode}` : ''}${description ? `: ${description}` : ''}.`,
      'Check that the identity is assigned to the agent VM, that the client id is right, and that it has an application user in the environment.',
      { clientId: config.clientId, description, correlationId: err.serverRequestId },
    );
  }
}
