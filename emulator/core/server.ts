/**
 * The emulator's HTTP server: one instance per `startEmulator()` call, with all of its state
 * (seed, tokens, faults, limits, request log, Dataverse module) owned by that instance.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { createDataverseModule } from '../dataverse';
import { handleCheckerRequest, isCheckerPath, resetChecker } from '../checker';
import { handleDevOpsRequest, isDevOpsPath, resetDevOps } from '../devops';
import { handleControlRequest, isControlPath, type ControlHooks } from '../control/controlApi';
import { handleImdsRequest, IMDS_PATH } from '../entra/imds';
import { handleOidcTokenRequest, isOidcTokenPath } from '../entra/devopsOidc';
import { handleTokenRequest, isTokenEndpoint } from '../entra/tokenEndpoint';
import type { EmulatorContext, RequestContext } from './context';
import { sendODataError, type Identity } from './contracts';
import { handleDataverseRequest, isDataversePath } from './dataverseFrontDoor';
import { Directory } from './directory';
import { FaultStore, type Fault } from './faults';
import { headerValue, queryObject, sendPlainJson } from './http';
import { newGuid } from './ids';
import { buildInfo, type EmulatorInfo } from './info';
import { ServiceLimits } from './limits';
import { redactHeaders, RequestLog } from './requestLog';
import { loadSeed, type Seed } from './seed';
import { TokenService } from './tokens';

export interface StartEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** A seed object, or the path of a seed JSON file; default: the built-in seed (README). */
  seed?: Seed | string;
  /** Default 127.0.0.1. */
  host?: string;
  /** When false, prints one line per request to stdout. Default true. */
  quiet?: boolean;
}

export interface RunningEmulator {
  /** Base URL, e.g. http://127.0.0.1:7071 (no trailing slash). */
  url: string;
  info: EmulatorInfo;
  /** The Dataverse module of this instance, for in-process inspection by tests. */
  dataverse: ReturnType<typeof createDataverseModule>;
  stop(): Promise<void>;
}

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const seed = loadSeed(options.seed);
  const host = options.host ?? '127.0.0.1';
  const quiet = options.quiet ?? true;
  const stopping = new AbortController();
  const sockets = new Set<Socket>();

  // The context needs the port, known only once listening; requests arriving before that get a 503.
  const ready: { ctx?: EmulatorContext } = {};
  const server = http.createServer((req, res) => {
    if (!ready.ctx) {
      res.writeHead(503).end();
      return;
    }
    dispatch(ready.ctx, req, res, quiet).catch(() => res.destroy());
  });
  // Tests and scripts open many keep-alive connections; `stop` must not wait for them to idle out.
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const baseUrl = `http://${urlHost}:${port}`;

  const directory = new Directory(seed, baseUrl);
  const dataverse = createDataverseModule();
  const context: EmulatorContext = {
    baseUrl,
    seed,
    directory,
    tokens: new TokenService(seed.tokenLifetimeSeconds),
    faults: new FaultStore(),
    limits: new ServiceLimits({ ...seed.limits }),
    log: new RequestLog(),
    dataverse,
    sleep: (ms) => delay(ms, undefined, { signal: stopping.signal }),
  };
  try {
    for (const env of directory.environments) await dataverse.createEnvironment(env);
  } catch (error) {
    await closeServer(server, sockets);
    await dataverse.close();
    throw error;
  }
  ready.ctx = context;

  let stopped: Promise<void> | undefined;
  return {
    url: baseUrl,
    info: buildInfo(context),
    dataverse,
    stop: () => {
      stopped ??= (async () => {
        stopping.abort();
        await closeServer(server, sockets);
        await dataverse.close();
      })();
      return stopped;
    },
  };
}

/** Control API hooks that need the instance (reset goes back to the seed, including the Dataverse module). */
function controlHooks(ctx: EmulatorContext): ControlHooks {
  return {
    reset: async () => {
      ctx.faults.clear();
      ctx.log.clear();
      ctx.limits.clear({ ...ctx.seed.limits });
      ctx.tokens.lifetimeSeconds = ctx.seed.tokenLifetimeSeconds;
      resetChecker(ctx);
      resetDevOps(ctx);
      await ctx.dataverse.reset();
      for (const env of ctx.directory.environments) await ctx.dataverse.createEnvironment(env);
    },
  };
}

async function dispatch(ctx: EmulatorContext, req: http.IncomingMessage, res: http.ServerResponse, quiet: boolean): Promise<void> {
  // Prefixing keeps a request target such as `//x` a path instead of a protocol-relative URL.
  const url = new URL(`${ctx.baseUrl}${req.url?.startsWith('/') ? req.url : '/'}`);
  const method = (req.method ?? 'GET').toUpperCase();
  try {
    if (isControlPath(url.pathname)) {
      await handleControlRequest(ctx, controlHooks(ctx), req, res, url);
      return;
    }
    const rc = beginRequest(ctx, req, res, method, url, quiet);
    const fault = ctx.faults.take(method, rc.path);
    if (fault) {
      rc.entry.fault = fault.id;
      if (await answerWithFault(rc, fault)) return;
      rc.passThroughFault = fault;
    }
    await route(rc);
  } catch (error) {
    if ((error as Error).name === 'AbortError' || res.headersSent) {
      res.destroy();
      return;
    }
    const message = `The emulator failed while handling ${method} ${url.pathname}: ${(error as Error).message}`;
    if (!quiet) console.error(message);
    sendODataError(res, 500, '0x80040216', message);
  }
}

function beginRequest(ctx: EmulatorContext, req: http.IncomingMessage, res: http.ServerResponse, method: string, url: URL, quiet: boolean): RequestContext {
  const requestId = newGuid();
  res.setHeader('x-ms-service-request-id', requestId);
  res.setHeader('REQ_ID', requestId);
  res.setHeader('x-ms-request-id', requestId);
  for (const name of ['x-ms-client-request-id', 'client-request-id', 'x-ms-correlation-request-id']) {
    const value = headerValue(req, name);
    if (value !== undefined) res.setHeader(name, value);
  }
  const entry = ctx.log.record({
    requestId,
    method,
    path: url.pathname,
    query: queryObject(url.searchParams),
    headers: redactHeaders(req.headers),
    status: 0,
    identity: bearerIdentity(ctx, req),
    time: new Date().toISOString(),
  });
  res.once('close', () => {
    entry.status = res.headersSent ? res.statusCode : 0;
    if (!quiet) console.log(`${method} ${url.pathname}${url.search} -> ${entry.status || 'connection reset'}`);
  });
  return { emulator: ctx, req, res, method, url, path: url.pathname, requestId, entry };
}

/** The caller named by a bearer token this emulator signed (expired or not), so faulted and refused requests are attributed too. */
function bearerIdentity(ctx: EmulatorContext, req: http.IncomingMessage): Identity | null {
  const token = /^Bearer\s+(\S+)/i.exec(headerValue(req, 'authorization') ?? '')?.[1];
  if (!token) return null;
  const check = ctx.tokens.checkAccessToken(token);
  const claims = check.ok || check.reason === 'expired' ? check.claims : undefined;
  if (typeof claims?.tid !== 'string' || typeof claims.appid !== 'string') return null;
  return ctx.directory.identity(claims.tid, claims.appid);
}

/** Answers the request from the fault alone when it says so (status or reset); false to let it through. */
async function answerWithFault(rc: RequestContext, fault: Fault): Promise<boolean> {
  if (fault.status === undefined && fault.reset !== 'before-response') return false;
  if (fault.delayMs) await rc.emulator.sleep(fault.delayMs);
  const { res } = rc;
  if (fault.reset === 'before-response') {
    rc.req.socket.destroy();
    return true;
  }
  const status = fault.status ?? 500;
  const body = fault.body ?? defaultFaultBody(rc, status);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : isDataversePath(rc.path) ? 'application/json; odata.metadata=minimal' : 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...(fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {}),
    ...fault.headers,
  };
  res.writeHead(status, headers);
  if (fault.reset === 'mid-response') {
    res.write(text.slice(0, Math.floor(text.length / 2)), () => res.socket?.destroy());
  } else {
    res.end(text);
  }
  return true;
}

function defaultFaultBody(rc: RequestContext, status: number): unknown {
  if (isDataversePath(rc.path)) {
    if (status === 429) {
      const { requestsPerWindow, windowSeconds } = rc.emulator.limits.limits;
      return { error: { code: '0x80072322', message: `Number of requests exceeded the limit of ${requestsPerWindow} over time window of ${windowSeconds} seconds.` } };
    }
    return { error: { code: '0x80040216', message: `Injected fault: HTTP ${status} (${http.STATUS_CODES[status] ?? 'unknown status'}).` } };
  }
  return { error: status === 429 ? 'temporarily_unavailable' : 'server_error', error_description: `Injected fault: HTTP ${status} (${http.STATUS_CODES[status] ?? 'unknown status'}).` };
}

async function route(rc: RequestContext): Promise<void> {
  if (isTokenEndpoint(rc.path)) return handleTokenRequest(rc);
  if (rc.path === IMDS_PATH) return handleImdsRequest(rc);
  if (isOidcTokenPath(rc.path)) return handleOidcTokenRequest(rc);
  if (isDevOpsPath(rc.path)) return handleDevOpsRequest(rc);
  if (isDataversePath(rc.path)) return handleDataverseRequest(rc);
  if (isCheckerPath(rc.path)) return handleCheckerRequest(rc);
  sendPlainJson(rc.res, 404, {
    error: 'not_found',
    error_description: `Nothing is served at ${rc.path}. See emulator/README.md for the URL layout (/entra, /metadata/identity/oauth2/token, /devops, /env/<name>, /checker, /_emulator).`,
  });
}

async function closeServer(server: http.Server, sockets: Set<Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of sockets) socket.destroy();
  await closed;
}
