import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import type { Logger } from '../../../shared/core';
import { createHttpClient, HttpError, redactUrl, type ClosableHttpClient } from '../../../shared/http';
import { repoRoot } from '../../helpers/paths';
import { startProxy, startServer, type LocalProxy, type LocalServer } from './local-servers';

const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy'];

function linesLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, debug: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m) };
}

describe('shared/http transport', () => {
  const saved: Record<string, string | undefined> = {};
  let server: LocalServer | undefined;
  let client: ClosableHttpClient | undefined;

  beforeEach(() => {
    for (const name of PROXY_VARIABLES) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
  });
  afterEach(async () => {
    for (const name of PROXY_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    client?.close();
    client = undefined;
    await server?.close();
    server = undefined;
  });

  it('sends the User-Agent and a client request id, and returns the server request id', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'x-ms-service-request-id': 'srv-42' });
      res.end('{"hello":"world"}');
    });
    client = createHttpClient({ productVersion: '1.2.3' });
    const res = await client.request<{ hello: string }>({ method: 'GET', url: `${server.url}/x` });
    const headers = server.requests[0].headers;
    assert.equal(headers['user-agent'], `dataverse-alm-azure-pipelines/1.2.3 (node ${process.version}; ${process.platform})`);
    assert.match(String(headers['x-ms-client-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(res.clientRequestId, headers['x-ms-client-request-id']);
    assert.equal(res.serverRequestId, 'srv-42');
    assert.deepEqual(res.data, { hello: 'world' });
  });

  it('sends JSON and form bodies with their content types; text and buffer responses', async () => {
    server = await startServer((_req, res, body) => res.end(body));
    client = createHttpClient({ productVersion: '1' });
    const json = await client.request({ method: 'POST', url: `${server.url}/j`, body: { a: 1 }, responseType: 'text' });
    assert.equal(json.data, '{"a":1}');
    assert.equal(server.requests[0].headers['content-type'], 'application/json');
    const form = await client.request({ method: 'POST', url: `${server.url}/f`, body: new URLSearchParams({ a: 'b c' }), responseType: 'buffer' });
    assert.ok(Buffer.isBuffer(form.data));
    assert.equal(form.data.toString(), 'a=b+c');
    assert.equal(server.requests[1].headers['content-type'], 'application/x-www-form-urlencoded');
  });

  describe('errors keep the server ids', () => {
    it('OData error: status, code, message, x-ms-service-request-id; no query secrets in the message', async () => {
      server = await startServer((_req, res) => {
        res.writeHead(400, { 'Content-Type': 'application/json', 'x-ms-service-request-id': 'corr-1' });
        res.end(JSON.stringify({ error: { code: '0x80040203', message: 'Invalid argument.' } }));
      });
      client = createHttpClient({ productVersion: '1' });
      const err = await client.request({ method: 'GET', url: `${server.url}/solutions?$select=name&sig=SECRETSIG` }).catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.status, 400);
      assert.equal(err.serverCode, '0x80040203');
      assert.equal(err.serverMessage, 'Invalid argument.');
      assert.equal(err.serverRequestId, 'corr-1');
      assert.match(err.message, /HTTP 400.*0x80040203: Invalid argument\..*request id corr-1/);
      assert.ok(!err.message.includes('SECRETSIG'));
      assert.ok(err.url.includes('$select=name'));
    });

    it('Entra error: correlation_id from the body, x-ms-request-id header first', async () => {
      server = await startServer((req, res) => {
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (req.url === '/with-header') headers['x-ms-request-id'] = 'hdr-1';
        res.writeHead(401, headers);
        res.end(JSON.stringify({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret.', correlation_id: 'body-1' }));
      });
      client = createHttpClient({ productVersion: '1' });
      const fromBody = await client.request({ method: 'POST', url: `${server.url}/token`, body: 'x' }).catch((e: unknown) => e);
      assert.ok(fromBody instanceof HttpError);
      assert.equal(fromBody.serverRequestId, 'body-1');
      assert.equal(fromBody.serverCode, 'invalid_client');
      assert.equal(fromBody.serverMessage, 'AADSTS7000215: Invalid client secret.');
      const fromHeader = await client.request({ method: 'POST', url: `${server.url}/with-header`, body: 'x' }).catch((e: unknown) => e);
      assert.ok(fromHeader instanceof HttpError);
      assert.equal(fromHeader.serverRequestId, 'hdr-1');
    });

    it('connection refused is a network error naming the code', async () => {
      const closed = await startServer(() => undefined);
      const url = closed.url;
      await closed.close();
      client = createHttpClient({ productVersion: '1', retry: { maxAttempts: 1 } });
      const err = await client.request({
        method: 'POST',
        url: `${url}/token`,
        headers: { Authorization: 'Bearer b3arer-t0ken' },
        body: new URLSearchParams({ client_secret: 'f0rm-s3cret' }),
      }).catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.kind, 'network');
      assert.equal(err.networkCode, 'ECONNREFUSED');
      assert.match(err.message, /network error ECONNREFUSED \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
      const inspected = inspect(err, { depth: 20, showHidden: true });
      assert.ok(!inspected.includes('b3arer-t0ken') && !inspected.includes('f0rm-s3cret'), 'the error keeps no request secrets');
    });

    it('acceptStatuses returns the response instead of throwing', async () => {
      server = await startServer((_req, res) => { res.writeHead(404); res.end(); });
      client = createHttpClient({ productVersion: '1' });
      const res = await client.request({ method: 'GET', url: `${server.url}/x`, acceptStatuses: [404] });
      assert.equal(res.status, 404);
      assert.equal(res.data, undefined);
    });
  });

  describe('streaming', () => {
    const SIZE = 8 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);

    function* chunks(): Generator<Buffer> {
      for (let sent = 0; sent < SIZE; sent += chunk.length) yield chunk;
    }

    it('uploads a Readable body as a stream', async () => {
      server = await startServer((_req, res, body) => res.end(JSON.stringify({ size: body.length, sha: createHash('sha256').update(body).digest('hex') })));
      client = createHttpClient({ productVersion: '1' });
      const expected = createHash('sha256');
      for (const c of chunks()) expected.update(c);
      const res = await client.request<{ size: number; sha: string }>({
        method: 'PUT', url: `${server.url}/up`, body: Readable.from(chunks()), headers: { 'Content-Type': 'application/zip' },
      });
      assert.equal(res.data.size, SIZE);
      assert.equal(res.data.sha, expected.digest('hex'));
      assert.equal(server.requests[0].headers['transfer-encoding'], 'chunked');
    });

    it('hands back the response body as a stream', async () => {
      server = await startServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        Readable.from(chunks()).pipe(res);
      });
      client = createHttpClient({ productVersion: '1' });
      const res = await client.request<Readable>({ method: 'GET', url: `${server.url}/down`, responseType: 'stream' });
      assert.ok(res.data instanceof Readable);
      let size = 0;
      for await (const c of res.data) size += (c as Buffer).length;
      assert.equal(size, SIZE);
    });
  });

  describe('proxy', () => {
    let proxy: LocalProxy | undefined;
    afterEach(async () => {
      await proxy?.close();
      proxy = undefined;
    });

    it('sends http requests through the agent proxy, with its credentials, and never logs them', async () => {
      server = await startServer((_req, res) => res.end('{"via":"proxy"}'));
      proxy = await startProxy();
      const logger = linesLogger();
      client = createHttpClient({
        productVersion: '1',
        logger,
        proxy: { url: proxy.url, username: 'agent', password: 'pr0xy-pa55' },
      });
      const res = await client.request<{ via: string }>({ method: 'GET', url: `${server.url}/through` });
      assert.equal(res.data.via, 'proxy');
      assert.deepEqual(proxy.seen.map((s) => s.line), [`GET ${server.url}/through`]);
      assert.equal(proxy.seen[0].proxyAuthorization, `Basic ${Buffer.from('agent:pr0xy-pa55').toString('base64')}`);
      assert.ok(logger.lines.some((l) => l.includes(`via proxy ${proxy!.url}`)));
      assert.ok(logger.lines.every((l) => !l.includes('pr0xy-pa55') && !l.includes('agent:')));
    });

    it('tunnels https requests with CONNECT (HTTPS_PROXY), and NO_PROXY bypasses the proxy', async () => {
      const pem = fs.readFileSync(path.join(repoRoot(), 'test/unit/auth/fixtures/test-only-cert-and-key.pem'), 'utf8');
      server = await startServer((_req, res) => res.end('{"secure":true}'), { pem });
      proxy = await startProxy();
      process.env.HTTPS_PROXY = proxy.url;
      client = createHttpClient({ productVersion: '1', ca: pem });
      const res = await client.request<{ secure: boolean }>({ method: 'GET', url: `${server.url}/tls` });
      assert.equal(res.data.secure, true);
      assert.deepEqual(proxy.seen.map((s) => s.line), [`CONNECT 127.0.0.1:${server.port}`]);

      process.env.NO_PROXY = '127.0.0.1';
      await client.request({ method: 'GET', url: `${server.url}/direct` });
      assert.equal(proxy.seen.length, 1);
      assert.equal(server.requests.length, 2);
    });

    it('the agent proxy bypass list (regular expressions) skips the proxy', async () => {
      server = await startServer((_req, res) => res.end('{}'));
      proxy = await startProxy();
      client = createHttpClient({ productVersion: '1', proxy: { url: proxy.url, bypass: ['127\\.0\\.0\\.1'] } });
      await client.request({ method: 'GET', url: `${server.url}/x` });
      assert.equal(proxy.seen.length, 0);
      assert.equal(server.requests.length, 1);
    });
  });

  describe('whether a failed request reached the server', () => {
    const pem = (): string => fs.readFileSync(path.join(repoRoot(), 'test/unit/auth/fixtures/test-only-cert-and-key.pem'), 'utf8');
    let proxy: LocalProxy | undefined;
    let silent: net.Server | undefined;
    const silentSockets = new Set<net.Socket>();
    afterEach(async () => {
      await proxy?.close();
      proxy = undefined;
      for (const socket of silentSockets) socket.destroy();
      await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
      silent = undefined;
    });

    /** Accepts TCP connections and never says a word (a TLS handshake that never completes). */
    async function startSilentServer(): Promise<number> {
      silent = net.createServer((socket) => {
        silentSockets.add(socket);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
      return (silent.address() as net.AddressInfo).port;
    }

    it('a TLS handshake failure counts as not sent', async () => {
      server = await startServer((_req, res) => res.end('{}'));
      client = createHttpClient({ productVersion: '1', retry: { maxAttempts: 1 } });
      const err = await client.request({ method: 'POST', url: `${server.url.replace('http:', 'https:')}/x`, body: {} })
        .catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.kind, 'network');
      assert.equal(err.notSent, true);
      assert.equal(err.outcomeUnknown, false);
      assert.equal(server.requests.length, 0);
    });

    it('a POST that timed out during the TLS handshake was not sent, so it is retried', async () => {
      const port = await startSilentServer();
      client = createHttpClient({ productVersion: '1', ca: pem(), retry: { maxAttempts: 2, baseDelayMs: 1 } });
      const err = await client.request({ method: 'POST', url: `https://127.0.0.1:${port}/x`, body: {}, timeoutMs: 300 })
        .catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.kind, 'timeout');
      assert.equal(err.notSent, true);
      assert.equal(err.attempts, 2);
      assert.equal(silentSockets.size, 2);
      assert.match(err.message, /timed out connecting to the server/);
    });

    it('a POST reset after the TLS handshake is not repeated: outcome unknown', async () => {
      server = await startServer((req) => req.socket.destroy(), { pem: pem() });
      client = createHttpClient({ productVersion: '1', ca: pem(), retry: { baseDelayMs: 1 } });
      const err = await client.request({ method: 'POST', url: `${server.url}/x`, body: {} }).catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.outcomeUnknown, true);
      assert.equal(err.attempts, 1);
      assert.equal(server.requests.length, 1);
    });

    it('through a proxy: a POST reset after the proxy relayed it is outcome unknown; a tunnel never opened is not sent', async () => {
      server = await startServer((req) => req.socket.destroy());
      proxy = await startProxy();
      client = createHttpClient({ productVersion: '1', proxy: { url: proxy.url }, retry: { baseDelayMs: 1 } });
      const relayed = await client.request({ method: 'POST', url: `${server.url}/x`, body: {} }).catch((e: unknown) => e);
      assert.ok(relayed instanceof HttpError);
      assert.equal(relayed.outcomeUnknown, true);
      assert.equal(relayed.attempts, 1);
      assert.equal(server.requests.length, 1);

      const closed = await startServer(() => undefined);
      await closed.close();
      const tunnel = await client.request({ method: 'POST', url: `https://127.0.0.1:${closed.port}/x`, body: {} })
        .catch((e: unknown) => e);
      assert.ok(tunnel instanceof HttpError);
      assert.equal(tunnel.notSent, true);
      assert.equal(tunnel.outcomeUnknown, false);
    });
  });

  describe('logging', () => {
    it('logs method, redacted URL, status and attempt, never Authorization or bodies', async () => {
      server = await startServer((_req, res) => res.end('{"access_token":"eyJ.secret.token"}'));
      const logger = linesLogger();
      client = createHttpClient({ productVersion: '1', logger });
      await client.request({
        method: 'POST',
        url: `${server.url}/tenant/oauth2/v2.0/token?client_secret=s3cr3t&api-version=1`,
        headers: { Authorization: 'Bearer abc.def.ghi' },
        body: new URLSearchParams({ client_secret: 'b0dy-s3cr3t' }),
        description: 'token request',
      });
      const all = logger.lines.join('\n');
      assert.match(all, /token request POST http:\/\/127\.0\.0\.1:\d+\/tenant\/oauth2\/v2\.0\/token\?client_secret=\*\*\*&api-version=1 → 200 \(attempt 1/);
      for (const secret of ['s3cr3t', 'abc.def.ghi', 'b0dy-s3cr3t', 'eyJ.secret.token']) assert.ok(!all.includes(secret), secret);
    });

    it('redactUrl strips user info and secret-looking query values', () => {
      assert.equal(
        redactUrl('https://u:p@host/a?sig=1&$filter=x%20eq%201&access_token=t&api-version=7.1'),
        'https://host/a?sig=***&$filter=x%20eq%201&access_token=***&api-version=7.1',
      );
    });
  });
});
