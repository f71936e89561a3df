/**
 * Test harness for the solution lifecycle over real HTTP: starts the emulator with a seed, gets tokens from
 * its Entra endpoint (client credentials) and sends plain Web API requests, as protocol.md describes them.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../../emulator';

export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  text: string;
}

export interface EnvClient {
  url: string;
  api: string;
  token: string;
  /** Object id of the application user the token belongs to (WhoAmI UserId). */
  userId: string;
  get(resource: string): Promise<ApiResponse>;
  post(resource: string, body: unknown): Promise<ApiResponse>;
  /** POST with a raw body string or a file streamed from disk. */
  postRaw(resource: string, body: string | { file: string; prefix: string; suffix: string }): Promise<ApiResponse>;
  del(resource: string): Promise<ApiResponse>;
}

export interface Harness {
  emulator: RunningEmulator;
  tempDir: string;
  env(name: string): Promise<EnvClient>;
  stop(): Promise<void>;
}

function send(method: string, url: string, token: string, body?: string | { file: string; prefix: string; suffix: string }): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers: http.OutgoingHttpHeaders = {
      Authorization: `Bearer ${token}`, Accept: 'application/json', 'OData-MaxVersion': '4.0', 'OData-Version': '4.0',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const req = http.request({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body === undefined) { req.end(); return; }
    if (typeof body === 'string') { req.end(body); return; }
    req.write(body.prefix);
    const stream = fs.createReadStream(body.file);
    stream.on('data', (c) => { if (!req.write(c)) { stream.pause(); req.once('drain', () => stream.resume()); } });
    stream.on('end', () => req.end(body.suffix));
    stream.on('error', reject);
  });
}

async function token(emulator: RunningEmulator, envUrl: string): Promise<string> {
  const { info } = emulator;
  const res = await fetch(`${info.authorityHost}/${info.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials', client_id: info.clientId, client_secret: info.clientSecret ?? '', scope: `${envUrl}/.default`,
    }).toString(),
  });
  const json = (await res.json()) as { access_token?: string };
  if (!json.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(json)}`);
  return json.access_token;
}

/** Starts an emulator whose environments get `envSeed` (timeScale defaults to 0.01 here: fast tests). */
export async function startHarness(envSeeds: Record<string, Record<string, unknown>> = { dev: {}, test: {} }): Promise<Harness> {
  const environments = Object.entries(envSeeds).map(([name, seed]) => ({ name, timeScale: 0.01, ...seed }));
  const emulator = await startEmulator({ port: 0, seed: { environments }, quiet: true });
  const tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'lifecycle-test-'));
  return {
    emulator,
    tempDir,
    env: async (name) => {
      const url = emulator.info.environments[name];
      const api = `${url}/api/data/v9.2`;
      const t = await token(emulator, url);
      const who = await send('GET', `${api}/WhoAmI`, t);
      return {
        url, api, token: t, userId: (who.body as { UserId: string }).UserId,
        get: (resource) => send('GET', `${api}/${resource}`, t),
        post: (resource, body) => send('POST', `${api}/${resource}`, t, JSON.stringify(body)),
        postRaw: (resource, body) => send('POST', `${api}/${resource}`, t, body),
        del: (resource) => send('DELETE', `${api}/${resource}`, t),
      };
    },
    stop: async () => {
      await emulator.stop();
      await fs.promises.rm(tempDir, { recursive: true, force: true });
    },
  };
}

export interface AsyncOperationRow {
  statecode: number;
  statuscode: number;
  message: string | null;
  friendlymessage: string | null;
  completedon: string | null;
}

/** Polls asyncoperations(id) until statecode 3; returns every distinct (statecode/statuscode) seen, in order. */
export async function pollAsyncOperation(client: EnvClient, id: string, timeoutMs = 30000): Promise<{ row: AsyncOperationRow; states: string[] }> {
  const states: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.get(`asyncoperations(${id})?$select=statecode,statuscode,message,friendlymessage,completedon`);
    if (res.status !== 200) throw new Error(`asyncoperations(${id}) answered ${res.status}: ${res.text}`);
    const row = res.body as AsyncOperationRow;
    const state = `${row.statecode}/${row.statuscode}`;
    if (states[states.length - 1] !== state) states.push(state);
    if (row.statecode === 3) return { row, states };
    if (Date.now() > deadline) throw new Error(`async operation ${id} still ${state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function errorOf(res: ApiResponse): { code: string; message: string } {
  return (res.body as { error: { code: string; message: string } }).error;
}
