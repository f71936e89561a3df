import { UserError, type Logger } from '../core';
import type { HttpClient } from '../http';
import type { AccessToken } from './access-token';
import { createClientAssertion, loadSigningCertificate } from './client-assertion';
import { requestEntraToken, tokenEndpoint } from './entra-token-request';
import { requestFederatedToken } from './federated-token';
import { IMDS_HOST, imdsEndpointOf, requestManagedIdentityToken } from './managed-identity';
import { assertSecureUrl } from './secure-url';
import { TokenCache } from './token-cache';
import type { CredentialConfig, TokenProvider } from './types';

export interface TokenProviderDeps {
  http: HttpClient;
  logger?: Logger;
  /**
   * Called with every secret this provider obtains (access tokens, Azure DevOps OIDC tokens) before it is
   * used or returned, so the pipeline adapter can register it with setSecret.
   */
  onToken?: (token: string) => void;
  /** Time source for expiry; default Date.now. */
  now?: () => number;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** `https://org.crm.dynamics.com/` → `https://org.crm.dynamics.com` (the scope is `<resource>/.default`). */
export function normalizeResource(resource: string): string {
  return resource.trim().replace(/\/+$/, '');
}

/**
 * Token provider for a service connection's credential. Validates the configuration now (so a bad URL or
 * certificate fails before any call), then obtains tokens on demand, cached per (authority, tenant, client,
 * resource) inside this instance.
 */
export function createTokenProvider(config: CredentialConfig, deps: TokenProviderDeps): TokenProvider {
  const now = deps.now ?? Date.now;
  const acquire = acquirerFor(config, deps, now);
  const cache = new TokenCache(now);
  const identity = [config.authorityHost, 'tenantId' in config ? config.tenantId : '', config.clientId ?? '', config.kind].join('|');
  return {
    getToken(resource, options = {}) {
      const normalized = normalizeResource(resource);
      return cache.get(`${identity}|${normalized}`, async () => {
        deps.logger?.debug(`Requesting a ${config.kind} token for ${normalized}${options.forceRefresh ? ' (forced refresh)' : ''}`);
        const token = await acquire(normalized);
        deps.onToken?.(token.token);
        return token;
      }, options);
    },
  };
}

type Acquire = (resource: string) => Promise<AccessToken>;

function acquirerFor(config: CredentialConfig, deps: TokenProviderDeps, now: () => number): Acquire {
  const { http } = deps;
  if (config.kind === 'managedIdentity') {
    assertSecureUrl(imdsEndpointOf(config), 'IMDS endpoint', [IMDS_HOST]);
    return (resource) => requestManagedIdentityToken(http, config, resource, now);
  }
  assertSecureUrl(config.authorityHost, 'authority host (authorityHost)');
  requireValue(config.tenantId, 'tenant id (tenantId)');
  requireValue(config.clientId, 'application id (applicationId)');
  const entra = { authorityHost: config.authorityHost, tenantId: config.tenantId, clientId: config.clientId, now };

  switch (config.kind) {
    case 'clientSecret':
      requireValue(config.clientSecret, 'client secret (clientSecret)');
      return (resource) =>
        requestEntraToken(http, { ...entra, resource, credentialKind: 'client secret', credential: { client_secret: config.clientSecret } });
    case 'certificate': {
      const certificate = loadSigningCertificate(config.certificatePem);
      const audience = tokenEndpoint(config.authorityHost, config.tenantId);
      return (resource) =>
        requestEntraToken(http, {
          ...entra,
          resource,
          credentialKind: 'certificate',
          credential: {
            client_assertion_type: JWT_BEARER,
            client_assertion: createClientAssertion(certificate, config.clientId, audience, now()),
          },
        });
    }
    case 'workloadIdentity':
      assertSecureUrl(config.oidcRequestUri, 'Azure DevOps OIDC request URI (System.OidcRequestUri)');
      requireValue(config.serviceConnectionId, 'service connection id');
      requireValue(config.systemAccessToken, 'job access token (System.AccessToken)');
      return async (resource) => {
        const federated = await requestFederatedToken(http, config);
        deps.onToken?.(federated);
        return requestEntraToken(http, {
          ...entra,
          resource,
          credentialKind: 'workload identity federation',
          credential: { client_assertion_type: JWT_BEARER, client_assertion: federated },
        });
      };
  }
}

function requireValue(value: string | undefined, what: string): void {
  if (!value?.trim()) throw new UserError(`The service connection has no ${what}.`, 'Fill it in the service connection.');
}
