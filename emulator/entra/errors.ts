/** Entra ID (v2.0 endpoint) errors in the real shape (protocol.md §1.1) with realistic AADSTS codes. */
import type { ServerResponse } from 'node:http';
import { sendPlainJson } from '../core/http';

export interface EntraError {
  status: number;
  error: string;
  code: number;
  description: string;
}

const err = (status: number, error: string, code: number, description: string): EntraError => ({ status, error, code, description });

export const entraErrors = {
  postOnly: (method: string) => err(400, 'invalid_request', 900561,
    `The endpoint only accepts POST, OPTIONS requests. Received a ${method} request.`),
  tenantNotFound: (tenant: string) => err(400, 'invalid_request', 90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ` +
    'Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.'),
  missingParameter: (name: string) => err(400, 'invalid_request', 900144,
    `The request body must contain the following parameter: '${name}'.`),
  unsupportedGrantType: (grantType: string) => err(400, 'unsupported_grant_type', 70003,
    `The app requested an unsupported grant type '${grantType}'. This endpoint (emulated) supports 'client_credentials'.`),
  appNotFound: (clientId: string, tenant: string) => err(400, 'unauthorized_client', 700016,
    `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been ` +
    'installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.'),
  noCredential: () => err(401, 'invalid_client', 7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  invalidSecret: (clientId: string) => err(401, 'invalid_client', 7000215,
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`),
  invalidAssertionType: (type: string) => err(400, 'invalid_request', 50027,
    `JWT token is invalid or malformed. client_assertion_type '${type}' is not supported; use 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.`),
  malformedAssertion: (reason: string) => err(401, 'invalid_client', 50027, `JWT token is invalid or malformed. ${reason}`),
  keyNotFound: (clientId: string, thumbprint: string) => err(401, 'invalid_client', 700027,
    `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., ` +
    `Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`),
  invalidSignature: () => err(401, 'invalid_client', 700027, 'Client assertion failed signature validation.'),
  assertionTimeRange: (now: number, nbf: unknown, exp: unknown) => err(401, 'invalid_client', 700024,
    `Client assertion is not within its valid time range. Current time: ${isoSeconds(now)}, assertion valid from ${typeof nbf === 'number' ? isoSeconds(nbf) : 'unset'}, ` +
    `expiry time of assertion ${typeof exp === 'number' ? isoSeconds(exp) : 'unset'}.`),
  assertionSubjectMismatch: () => err(401, 'invalid_client', 700021,
    "Client assertion application identifier doesn't match 'client_id' parameter. The 'iss' and 'sub' claims must both be the client id."),
  assertionAudience: (audience: unknown, expected: string) => err(401, 'invalid_client', 700212,
    `The client assertion's audience '${String(audience)}' is not valid. It must be the token endpoint '${expected}'.`),
  federatedAudience: (audience: unknown) => err(401, 'invalid_client', 700212,
    `No matching federated identity record found for presented assertion audience '${String(audience)}'. Please note that the matching is done using a case-sensitive comparison.`),
  noFederatedRecord: (issuer: unknown, subject: unknown, audience: unknown) => err(401, 'invalid_client', 70021,
    `No matching federated identity record found for presented assertion. Assertion Issuer: '${String(issuer)}'. Assertion Subject: '${String(subject)}'. Assertion Audience: '${String(audience)}'.`),
  invalidScope: (scope: string, why: string) => err(400, 'invalid_scope', 70011,
    `The provided value for the input parameter 'scope' is not valid. The scope '${scope}' is not valid. ${why}`),
  resourceNotFound: (resource: string, tenant: string) => err(400, 'invalid_resource', 500011,
    `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by ` +
    'the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.'),
  throttled: (detail: string) => err(429, 'temporarily_unavailable', 50196,
    `The server terminated an operation because it encountered a client request loop. ${detail}`),
};

export function sendEntraError(res: ServerResponse, e: EntraError, correlationId: string, traceId: string, headers: Record<string, string> = {}): void {
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  sendPlainJson(res, e.status, {
    error: e.error,
    error_description: `AADSTS${e.code}: ${e.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [e.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${e.code}`,
  }, headers);
}

function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}
