import { UserError } from '../core';

export interface AuthErrorDetails {
  tenantId?: string;
  clientId?: string;
  /** e.g. "AADSTS7000215" */
  aadstsCode?: string;
  /** The service's description, first line only. */
  description?: string;
  correlationId?: string;
}

/** A token could not be obtained. The message names the tenant, the application, the service's code and what to check. */
export class AuthError extends UserError {
  readonly tenantId?: string;
  readonly clientId?: string;
  readonly aadstsCode?: string;
  readonly description?: string;
  readonly correlationId?: string;

  constructor(message: string, hint: string, details: AuthErrorDetails = {}) {
    super(message, hint);
    this.name = 'AuthError';
    Object.assign(this, details);
  }
}

const HINTS: Array<[codes: number[], hint: string]> = [
  [[7000215], 'The client secret is wrong: put the secret\'s value (not its id) in the service connection, or create a new secret and update the service connection.'],
  [[7000222], 'The client secret has expired: create a new secret for the app registration and update the service connection.'],
  [[700016], 'The application is not known in this tenant: check the application (client) id and tenant id in the service connection, and that the app registration exists in that tenant.'],
  [[90002, 900023, 90013], 'The tenant was not found: check the tenant id (a GUID or a domain such as contoso.onmicrosoft.com) and the authority host.'],
  [[700027, 700023], 'The certificate is not accepted for this application: upload the certificate (public part) to the app registration, and check the service connection holds that certificate with its private key.'],
  [[700024], 'The client assertion is outside its valid time range: check the agent\'s clock.'],
  [[70021, 700211, 700212, 700213], 'No federated credential of the app registration matches the Azure DevOps token: add one with the issuer and subject shown on the service connection.'],
  [[500011], 'The resource was not found in the tenant: check the environment URL, and that the environment belongs to this tenant.'],
  [[70011], 'The requested scope is invalid: check the environment URL.'],
  [[7000112], 'The application is disabled: enable it in Microsoft Entra ID.'],
  [[53003], 'A Conditional Access policy blocked the token: ask the tenant admin to exclude this workload identity.'],
];

export const DEFAULT_AUTH_HINT = 'Check the tenant id, application id and credential in the service connection.';

export function hintForAadsts(code: number | undefined): string {
  if (code === undefined) return DEFAULT_AUTH_HINT;
  return HINTS.find(([codes]) => codes.includes(code))?.[1] ?? DEFAULT_AUTH_HINT;
}

/** The AADSTS number from an Entra error body (`error_codes`, else the description text). */
export function aadstsCodeOf(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const codes = record.error_codes;
  if (Array.isArray(codes) && typeof codes[0] === 'number') return codes[0];
  const match = /AADSTS(\d+)/.exec(typeof record.error_description === 'string' ? record.error_description : '');
  return match ? Number(match[1]) : undefined;
}

/** First line of a service description (Entra appends trace/correlation/timestamp lines). */
export function firstLine(text: string | undefined): string | undefined {
  return text?.split(/\r?\n/)[0].trim() || undefined;
}
