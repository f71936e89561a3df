/**
 * A scripted Dataverse Web API on 127.0.0.1 for the solution-operation tests: routes by method and resource,
 * records every request (with its body), and gives a real DataverseClient over the project's transport.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenProvider } from '../../../../shared/auth';
import { DataverseClient } from '../../../../shared/dataverse';
import { createHttpClient, type ClosableHttpClient } from '../../../../shared/http';
import { startServer, type LocalServer, type RecordedRequest } from '../../http/local-servers';

export type Route = (req: IncomingMessage, res: ServerResponse, body: Buffer, count: number) => void;

export interface LocalDataverse {
  server: LocalServer;
  client: DataverseClient;
  http: ClosableHttpClient;
  /** `METHOD resource` (resource = the path after /api/data/v9.2/, without the query) → handler. */
  routes: Map<string, Route>;
  /** Requests whose `METHOD resource` starts with `prefix`. */
  requests(prefix: string): Array<RecordedRequest & { resource: string; query: URLSearchParams }>;
  close(): Promise<void>;
}

export function reply(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; odata.metadata=minimal', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

export function odataError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  reply(res, status, { error: { code, message } }, headers);
}

const tokens: TokenProvider = { getToken: async () => 'test-token' };

function resourceOf(url: string): { resource: string; query: URLSearchParams } {
  const parsed = new URL(url, 'http://127.0.0.1');
  return { resource: decodeURIComponent(parsed.pathname.replace(/^.*\/api\/data\/v9\.2\//, '')), query: parsed.searchParams };
}

/** Keys of `routes` are matched exactly first, then by the resource's name before `(`. */
export async function startLocalDataverse(): Promise<LocalDataverse> {
  const routes = new Map<string, Route>();
  const counts = new Map<string, number>();
  const server = await startServer((req, res, body) => {
    const { resource } = resourceOf(req.url ?? '');
    const exact = `${req.method} ${resource}`;
    const byName = `${req.method} ${resource.split('(')[0]}`;
    const key = routes.has(exact) ? exact : byName;
    const route = routes.get(key);
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (!route) {
      odataError(res, 404, '0x80060888', `No route for ${exact}`);
      return;
    }
    route(req, res, body, count);
  });
  const http = createHttpClient({
    productVersion: '0.0.0-test',
    retry: { baseDelayMs: 1, maxDelayMs: 5, lockMinDelayMs: 5, lockMaxDelayMs: 20 },
  });
  const client = new DataverseClient({ environmentUrl: server.url, tokenProvider: tokens, http });
  return {
    server,
    client,
    http,
    routes,
    requests: (prefix) => server.requests
      .map((r) => ({ ...r, ...resourceOf(r.url) }))
      .filter((r) => `${r.method} ${r.resource}`.startsWith(prefix)),
    close: async () => {
      http.close();
      await server.close();
    },
  };
}
