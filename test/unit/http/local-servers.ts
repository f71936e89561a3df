/**
 * Local 127.0.0.1 servers for transport tests: a scripted HTTP(S) server that records requests, and a small
 * forwarding proxy (absolute-form HTTP requests and CONNECT tunnels) that records what went through it.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type * as sinon from 'sinon';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, index: number) => void;

export interface LocalServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Resolves when the server has received `count` requests (headers and body). */
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 (https when `tls` holds a cert+key PEM). */
export async function startServer(handler: Handler, tls?: { pem: string }): Promise<LocalServer> {
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const sockets = new Set<net.Socket>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const index = requests.length;
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) waiter.resolve();
      handler(req, res, body, index);
    });
  };
  const server = tls
    ? https.createServer({ key: tls.pem, cert: tls.pem }, onRequest)
    : http.createServer(onRequest);
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    waitForRequests: (count) =>
      requests.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ProxyRecord {
  /** 'CONNECT 127.0.0.1:1234' or 'GET http://127.0.0.1:1234/path' */
  line: string;
  proxyAuthorization?: string;
}

export interface LocalProxy {
  url: string;
  seen: ProxyRecord[];
  close(): Promise<void>;
}

/** A forwarding proxy: plain HTTP requests in absolute form are relayed; CONNECT opens a TCP tunnel. */
export async function startProxy(): Promise<LocalProxy> {
  const seen: ProxyRecord[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push({ line: `${req.method} ${req.url}`, proxyAuthorization: req.headers['proxy-authorization'] });
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push({ line: `CONNECT ${req.url}`, proxyAuthorization: req.headers['proxy-authorization'] });
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs a request to completion under sinon fake timers: real I/O proceeds, and whenever the code under test
 * waits on a (fake) timer the clock jumps to it. Returns the settled promise.
 */
export async function drive<T>(promise: Promise<T>, clock: sinon.SinonFakeTimers): Promise<T> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  while (!settled) {
    if (clock.countTimers() > 0) await clock.nextAsync();
    else await new Promise((resolve) => setImmediate(resolve));
  }
  return promise;
}
