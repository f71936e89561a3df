/** Shared helpers for the emulator core tests: start/stop, token requests, JWT decoding, raw HTTP. */
import * as http from 'node:http';
import { startEmulator, type RunningEmulator, type Seed } from '../../../emulator';

export async function withEmulator(seed?: Seed | string): Promise<RunningEmulator> {
  return startEmulator({ port: 0, seed, quiet: true });
}

export interface TokenResult {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs a form to the emulator's token endpoint for `tenant`. */
export async function requestToken(emu: RunningEmulator, form: Record<string, string>, tenant = emu.info.tenantId, headers: Record<string, string> = {}): Promise<TokenResult> {
  const res = await fetch(`${emu.info.authorityHost}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

/** A token for `resource` (an environment URL by default: dev) with the default app's secret. */
export async function secretToken(emu: RunningEmulator, resource = emu.info.environments.dev): Promise<string> {
  const { status, body } = await requestToken(emu, {
    client_id: emu.info.clientId,
    client_secret: emu.info.clientSecret ?? '',
    grant_type: 'client_credentials',
    scope: `${resource}/.default`,
  });
  if (status !== 200) throw new Error(`token request failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}

/** The AADSTS code of an Entra error body. */
export function aadsts(body: Record<string, unknown>): number {
  return (body.error_codes as number[])[0];
}

export function decodePayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

export async function dataverse(emu: RunningEmulator, env: string, resource: string, token: string | undefined, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('Authorization', `Bearer ${token}`);
  return fetch(`${emu.url}/env/${env}/api/data/v9.2/${resource}`, { ...init, headers });
}

export async function control(emu: RunningEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${emu.url}/_emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export interface RawOutcome {
  /** Set when the status line arrived. */
  status?: number;
  /** Body bytes received before the end or the error. */
  received: string;
  /** Set when the connection failed (before or during the response). */
  error?: string;
}

/** One request over a fresh connection with node:http, reporting exactly how far the answer got. */
export function rawRequest(url: string, options: http.RequestOptions = {}, body?: string): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const req = http.request(url, { agent: false, ...options }, (res) => {
      let received = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { received += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, received }));
      res.on('error', (err) => resolve({ status: res.statusCode, received, error: err.message }));
      res.on('aborted', () => resolve({ status: res.statusCode, received, error: 'aborted' }));
    });
    req.on('error', (err) => resolve({ received: '', error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end(body);
  });
}
