/**
 * What the checker API checks before a route: a bearer token issued by this emulator's Entra endpoint for
 * https://api.advisor.powerapps.com (protocol.md §9.2), and the x-ms-tenant-id / x-ms-correlation-id headers.
 */
import type { RequestContext } from '../core/context';
import { CHECKER_RESOURCE } from '../core/directory';
import { headerValue } from '../core/http';
import type { Caller } from './state';

export interface Refusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

export type Authentication = { caller: Caller } | { refusal: Refusal } | { anonymous: true };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks the bearer token; with `optional`, a request without one is let through as anonymous (ruleset/rule lookups). */
export function authenticate(rc: RequestContext, optional = false): Authentication {
  const { emulator } = rc;
  const tenantHint = emulator.seed.tenants[0].id;
  const refuse = (message: string, error?: string): Authentication => ({
    refusal: {
      status: 401,
      code: 'Unauthorized',
      message,
      headers: {
        'WWW-Authenticate': `Bearer ${error ? `error="invalid_token", error_description="${error}", ` : ''}authorization_uri="${emulator.baseUrl}/entra/${tenantHint}", resource_id="${CHECKER_RESOURCE}/"`,
      },
    },
  });
  const header = headerValue(rc.req, 'authorization');
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (!token) {
    if (optional && header === undefined) return { anonymous: true };
    return refuse(`No bearer token was sent. Send Authorization: Bearer <access token for ${CHECKER_RESOURCE}>.`);
  }
  const check = emulator.tokens.checkAccessToken(token);
  if (!check.ok) {
    return check.reason === 'expired'
      ? refuse('The access token has expired. Acquire a new token and retry.', 'The access token is expired')
      : refuse('The access token is invalid: it is not a token this service issued, or it was altered.', 'The access token is invalid');
  }
  const { aud, tid, appid } = check.claims;
  const audience = typeof aud === 'string' ? aud.replace(/\/+$/, '').toLowerCase() : '';
  if (audience !== CHECKER_RESOURCE) {
    return refuse(`The access token's audience '${String(aud)}' is not the Power Apps checker. Request a token with scope ${CHECKER_RESOURCE}/.default.`,
      `The audience '${String(aud)}' is invalid`);
  }
  if (typeof tid !== 'string' || typeof appid !== 'string') return refuse('The access token names no tenant or application.', 'The access token is invalid');
  return { caller: { tenantId: tid, appId: appid } };
}

/** The headers upload, analyze and status require; the tenant header must name the token's tenant. */
export function checkRunHeaders(rc: RequestContext, caller: Caller): Refusal | { correlationId: string } {
  const tenant = headerValue(rc.req, 'x-ms-tenant-id')?.trim();
  if (!tenant) return { status: 400, code: 'MissingHeader', message: 'The x-ms-tenant-id header is required: the tenant id (GUID) of the calling application.' };
  if (tenant.toLowerCase() !== caller.tenantId.toLowerCase()) {
    return { status: 400, code: 'InvalidHeader', message: `The x-ms-tenant-id header '${tenant}' does not match the tenant of the access token.` };
  }
  const correlationId = headerValue(rc.req, 'x-ms-correlation-id')?.trim();
  if (!correlationId) return { status: 400, code: 'MissingHeader', message: 'The x-ms-correlation-id header is required: one GUID for the whole run (upload, analyze, status).' };
  if (!GUID.test(correlationId)) return { status: 400, code: 'InvalidHeader', message: `The x-ms-correlation-id header '${correlationId}' is not a GUID.` };
  return { correlationId: correlationId.toLowerCase() };
}
