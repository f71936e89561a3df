import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import type { Logger } from '../../../shared/core';
import { createHttpClient, HttpError, type ClosableHttpClient, type HttpClientOptions } from '../../../shared/http';
import { drive, startServer, type Handler, type LocalServer } from './local-servers';

/** Logger that keeps debug lines, and the waits announced in them. */
function recordingLogger(): Logger & { lines: string[]; waits: () => number[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(m),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    waits: () => lines.flatMap((l) => /waiting (\d+) ms/.exec(l)?.[1] ?? []).map(Number),
  };
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Answers the scripted responses in order, then 200 {ok:true}. */
function script(...steps: Handler[]): Handler {
  return (req, res, body, index) => {
    const step = steps[index];
    if (step) step(req, res, body, index);
    else json(res, 200, { ok: true, attempt: index + 1 });
  };
}

const status = (code: number, headers: Record<string, string> = {}, body: unknown = {}): Handler => (_q, res) =>
  json(res, code, body, headers);
const resetBeforeResponse: Handler = (req) => req.socket.destroy();
const resetMidResponse: Handler = (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
  res.write('{"partial":');
  setImmediate(() => res.socket?.destroy());
};

describe('shared/http retries (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  let server: LocalServer | undefined;
  let client: ClosableHttpClient | undefined;
  let logger: ReturnType<typeof recordingLogger>;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12, 0, 0), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    logger = recordingLogger();
  });
  afterEach(async () => {
    clock.restore();
    client?.close();
    await server?.close();
    server = undefined;
  });

  async function setup(handler: Handler, options: Partial<HttpClientOptions> = {}): Promise<string> {
    server = await startServer(handler);
    // timeoutMs 0: drive() jumps to every pending timer, so only retry waits may be timers here.
    client = createHttpClient({ productVersion: '1.0.0', logger, timeoutMs: 0, random: () => 0.5, ...options });
    return server.url;
  }

  it('honours Retry-After in seconds on 429', async () => {
    const url = await setup(script(status(429, { 'Retry-After': '2' })));
    const res = await drive(client!.request({ method: 'GET', url: `${url}/x` }), clock);
    assert.equal(res.status, 200);
    assert.equal(res.attempts, 2);
    assert.deepEqual(logger.waits(), [2000]);
  });

  it('honours Retry-After as an HTTP-date', async () => {
    const retryAt = new Date(Date.now() + 7000).toUTCString();
    const url = await setup(script(status(429, { 'Retry-After': retryAt })));
    const res = await drive(client!.request({ method: 'GET', url: `${url}/x` }), clock);
    assert.equal(res.attempts, 2);
    assert.deepEqual(logger.waits(), [7000]);
  });

  it('backs off exponentially with full jitter on 503, 502 and 504', async () => {
    const url = await setup(script(status(503), status(502), status(504)));
    const res = await drive(client!.request({ method: 'GET', url: `${url}/x` }), clock);
    assert.equal(res.attempts, 4);
    // random() = 0.5 of min(30 s, 1 s · 2^n)
    assert.deepEqual(logger.waits(), [500, 1000, 2000]);
  });

  it('stops after maxAttempts and reports the last status', async () => {
    const url = await setup(script(status(503), status(503), status(503), status(503)), { retry: { maxAttempts: 3 } });
    const err = await drive(client!.request({ method: 'GET', url: `${url}/x` }), clock).catch((e: unknown) => e);
    assert.ok(err instanceof HttpError);
    assert.equal(err.status, 503);
    assert.equal(err.attempts, 3);
    assert.equal(server!.requests.length, 3);
    assert.match(err.message, /after 3 attempts/);
  });

  it('does not wait beyond maxElapsedMs (a Retry-After longer than the budget fails at once)', async () => {
    const url = await setup(script(status(429, { 'Retry-After': '120' })), { retry: { maxElapsedMs: 60_000 } });
    const err = await drive(client!.request({ method: 'GET', url: `${url}/x` }), clock).catch((e: unknown) => e);
    assert.ok(err instanceof HttpError);
    assert.equal(err.status, 429);
    assert.equal(server!.requests.length, 1);
  });

  it('per-request retry: false makes a single attempt', async () => {
    const url = await setup(script(status(503)));
    const err = await drive(client!.request({ method: 'GET', url: `${url}/x`, retry: false }), clock).catch((e: unknown) => e);
    assert.ok(err instanceof HttpError);
    assert.equal(server!.requests.length, 1);
  });

  describe('solution-operation lock', () => {
    const lock400 = status(400, {}, { error: { code: '0x80071151', message: 'Cannot start another [Import]' } });
    const lock429 = status(429, {}, {
      error: { code: '0x80040216', message: 'Cannot start the requested operation [PublishAll] because there is another [Import] running at this moment.' },
    });

    it('is retried with the longer lock waits (15 s, 30 s…), even for POST', async () => {
      const url = await setup(script(lock400, lock429));
      const res = await drive(client!.request({ method: 'POST', url: `${url}/PublishAllXml`, body: {} }), clock);
      assert.equal(res.attempts, 3);
      assert.deepEqual(logger.waits(), [15_000, 30_000]);
      assert.ok(logger.lines.some((l) => l.includes('solution operation lock')));
    });

    it('recognises CustomizationLock in the message', async () => {
      const url = await setup(script(status(400, {}, { error: { code: '0x0', message: 'CustomizationLockException' } })));
      const res = await drive(client!.request({ method: 'POST', url: `${url}/x`, body: {} }), clock);
      assert.equal(res.attempts, 2);
    });

    it('gives up at its own deadline and does not count against maxAttempts', async () => {
      const url = await setup(script(lock400, lock400, lock400, lock400), {
        retry: { maxAttempts: 1, lockDeadlineMs: 40_000 },
      });
      const err = await drive(client!.request({ method: 'POST', url: `${url}/x`, body: {} }), clock).catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.serverCode, '0x80071151');
      // 15 s fits the 40 s deadline, 15 + 30 s does not.
      assert.equal(server!.requests.length, 2);
    });

    it('a plain 400 is not retried', async () => {
      const url = await setup(script(status(400, {}, { error: { code: '0x80040203', message: 'Invalid argument' } })));
      const err = await drive(client!.request({ method: 'GET', url: `${url}/x` }), clock).catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(server!.requests.length, 1);
    });
  });

  describe('non-idempotent requests', () => {
    it('POST is not retried after a plain 503', async () => {
      const url = await setup(script(status(503)));
      const err = await drive(client!.request({ method: 'POST', url: `${url}/x`, body: {} }), clock).catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(server!.requests.length, 1);
    });

    it('POST is retried after a 503 with Retry-After and after a 429', async () => {
      const url = await setup(script(status(503, { 'Retry-After': '1' }), status(429, { 'Retry-After': '1' })));
      const res = await drive(client!.request({ method: 'POST', url: `${url}/x`, body: {} }), clock);
      assert.equal(res.attempts, 3);
    });

    it('POST is not repeated after a reset before any response byte: the outcome is unknown', async () => {
      const url = await setup(script(resetBeforeResponse));
      const err = await drive(client!.request({ method: 'POST', url: `${url}/ImportSolutionAsync`, body: { a: 1 } }), clock)
        .catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.kind, 'network');
      assert.equal(err.attempts, 1);
      assert.equal(server!.requests.length, 1);
      assert.equal(err.outcomeUnknown, true);
      assert.equal(err.notSent, false);
      assert.match(err.message, /Outcome unknown: the request may have reached the server .*not sent again; check the current state/);
    });

    it('GET, and a POST marked idempotent (token request), are retried after a reset before any response byte', async () => {
      const url = await setup(script(resetBeforeResponse, status(200), resetBeforeResponse));
      const get = await drive(client!.request({ method: 'GET', url: `${url}/x` }), clock);
      assert.equal(get.attempts, 2);
      const token = await drive(client!.request({ method: 'POST', url: `${url}/token`, body: new URLSearchParams({ a: '1' }), idempotent: true }), clock);
      assert.equal(token.attempts, 2);
    });

    it('POST is retried when the connection is refused (nothing was sent)', async () => {
      const closed = await startServer(() => undefined);
      await closed.close();
      client = createHttpClient({ productVersion: '1.0.0', logger, timeoutMs: 0, random: () => 0.5, retry: { maxAttempts: 3 } });
      const err = await drive(client.request({ method: 'POST', url: `${closed.url}/x`, body: {} }), clock).catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.networkCode, 'ECONNREFUSED');
      assert.equal(err.attempts, 3);
      assert.equal(err.notSent, true);
      assert.equal(err.outcomeUnknown, false);
      assert.match(err.message, /could not connect: network error ECONNREFUSED/);
      assert.doesNotMatch(err.message, /Outcome unknown/);
    });

    it('POST is never retried after a reset mid-response', async () => {
      const url = await setup(script(resetMidResponse));
      const err = await drive(client!.request({ method: 'POST', url: `${url}/x`, body: {} }), clock).catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.kind, 'network');
      assert.equal(err.outcomeUnknown, true);
      assert.equal(server!.requests.length, 1);
    });

    it('GET is retried after a reset mid-response', async () => {
      const url = await setup(script(resetMidResponse));
      const res = await drive(client!.request<{ ok: boolean }>({ method: 'GET', url: `${url}/x` }), clock);
      assert.equal(res.data.ok, true);
      assert.equal(res.attempts, 2);
    });

    it('idempotent: true lets a POST be retried like a GET', async () => {
      const url = await setup(script(status(503)));
      const res = await drive(client!.request({ method: 'POST', url: `${url}/x`, body: {}, idempotent: true }), clock);
      assert.equal(res.attempts, 2);
    });

    it('a Readable body is sent once; a body factory is re-created for each attempt', async () => {
      const { Readable } = await import('node:stream');
      const url = await setup(script(status(503, { 'Retry-After': '1' }), status(503, { 'Retry-After': '1' })));
      const once = await drive(client!.request({ method: 'PUT', url: `${url}/a`, body: Readable.from([Buffer.from('x')]) }), clock)
        .catch((e: unknown) => e);
      assert.ok(once instanceof HttpError);
      let made = 0;
      const res = await drive(client!.request({
        method: 'PUT',
        url: `${url}/b`,
        body: () => { made++; return Readable.from([Buffer.from('payload')]); },
      }), clock);
      assert.equal(res.status, 200);
      assert.equal(made, 2);
      assert.equal(server!.requests[2].body.toString(), 'payload');
    });
  });

  describe('timeout and cancellation', () => {
    it('times out an unanswered request; GET is retried, POST is not', async () => {
      let answered = 0;
      server = await startServer((_req, res, _body, index) => {
        if (index === 0) return; // never answers the first request
        answered++;
        json(res, 200, { ok: true });
      });
      client = createHttpClient({ productVersion: '1.0.0', logger, random: () => 0.5 });
      const get = client.request({ method: 'GET', url: `${server.url}/slow`, timeoutMs: 5000 });
      await server.waitForRequests(1);
      await clock.tickAsync(5000); // the attempt times out, then the client waits 500 ms (backoff)
      await clock.tickAsync(500);
      const res = await get;
      assert.equal(res.attempts, 2);
      assert.equal(answered, 1);

      const hanging = await startServer(() => undefined);
      try {
        const post = client.request({ method: 'POST', url: `${hanging.url}/x`, body: {}, timeoutMs: 5000 }).catch((e: unknown) => e);
        await hanging.waitForRequests(1);
        await clock.tickAsync(5000);
        const err = await post;
        assert.ok(err instanceof HttpError);
        assert.equal(err.kind, 'timeout');
        assert.equal(err.outcomeUnknown, true);
        assert.match(err.message, /timed out waiting for the server.*Outcome unknown/);
        assert.equal(hanging.requests.length, 1);
      } finally {
        client.close();
        await hanging.close();
      }
    });

    it('aborting during a retry wait stops at once', async () => {
      const url = await setup(script(status(429, { 'Retry-After': '60' })));
      const controller = new AbortController();
      const pending = client!.request({ method: 'GET', url: `${url}/x`, signal: controller.signal });
      while (clock.countTimers() === 0) await new Promise((resolve) => setImmediate(resolve));
      controller.abort();
      const err = await pending.catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.kind, 'aborted');
      assert.equal(server!.requests.length, 1);
      assert.equal(clock.countTimers(), 0);
    });

    it('aborting an in-flight request rejects it without retrying', async () => {
      const url = await setup(() => undefined);
      const controller = new AbortController();
      const pending = client!.request({ method: 'GET', url: `${url}/x`, signal: controller.signal });
      await server!.waitForRequests(1);
      controller.abort();
      const err = await pending.catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.kind, 'aborted');
      assert.equal(server!.requests.length, 1);
    });

    it('an already-aborted signal makes no request', async () => {
      const url = await setup(script());
      const err = await client!.request({ method: 'GET', url: `${url}/x`, signal: AbortSignal.abort() }).catch((e: unknown) => e);
      assert.ok(err instanceof HttpError);
      assert.equal(err.kind, 'aborted');
      assert.equal(server!.requests.length, 0);
    });
  });
});
