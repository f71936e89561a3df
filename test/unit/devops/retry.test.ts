import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { classifyFailure, withRetry, type NodeApiError, type RetryPolicy } from '../../../shared/devops';

/** An error shaped like typed-rest-client's for an HTTP status. */
function statusError(statusCode: number, headers: Record<string, string> = {}, result?: unknown): NodeApiError {
  return Object.assign(new Error(`Failed request: (${statusCode})`), { statusCode, responseHeaders: headers, result });
}

function networkError(code: string): NodeApiError {
  return Object.assign(new Error(`connect ${code}`), { code });
}

/** A call that fails with each of `failures` in turn, then returns 'ok'; `times` records when each attempt ran. */
function scripted(failures: Error[]): { fn: () => Promise<string>; times: number[] } {
  const times: number[] = [];
  let i = 0;
  return {
    times,
    fn: async () => {
      times.push(Date.now());
      if (i < failures.length) throw failures[i++];
      return 'ok';
    },
  };
}

async function drive<T>(promise: Promise<T>, clock: sinon.SinonFakeTimers): Promise<T> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  while (!settled) {
    if (clock.countTimers() > 0) await clock.nextAsync();
    else await new Promise((resolve) => setImmediate(resolve));
  }
  return promise;
}

describe('devops: withRetry (shared/http policy over azure-devops-node-api calls)', () => {
  let clock: sinon.SinonFakeTimers;
  const start = Date.UTC(2026, 0, 1, 12, 0, 0);
  const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
    idempotent: true,
    description: 'read work item 1',
    random: () => 0.5,
    options: { baseDelayMs: 1_000, maxDelayMs: 30_000, maxAttempts: 4 },
    ...overrides,
  });

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: start, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  it('retries reads after 502/503/504 and network failures with jittered exponential backoff', async () => {
    const call = scripted([statusError(503), networkError('ECONNRESET'), statusError(504)]);
    assert.equal(await drive(withRetry(call.fn, policy()), clock), 'ok');
    // random 0.5 of min(cap, 1000·2^n): 500, 1000, 2000 ms.
    assert.deepEqual(call.times.map((t) => t - start), [0, 500, 1_500, 3_500]);
  });

  it('waits as long as Retry-After says on 429, for writes too', async () => {
    const call = scripted([statusError(429, { 'Retry-After': '7' })]);
    assert.equal(await drive(withRetry(call.fn, policy({ idempotent: false })), clock), 'ok');
    assert.deepEqual(call.times.map((t) => t - start), [0, 7_000]);
  });

  it('never repeats a write after the server may have acted (502, reset, timeout) but does after a refused connection', async () => {
    for (const failure of [statusError(502), networkError('ECONNRESET'), new Error('Request timeout: /x')]) {
      const call = scripted([failure]);
      await assert.rejects(drive(withRetry(call.fn, policy({ idempotent: false })), clock), (err) => err === failure);
      assert.equal(call.times.length, 1);
    }
    const refused = scripted([networkError('ECONNREFUSED')]);
    assert.equal(await drive(withRetry(refused.fn, policy({ idempotent: false })), clock), 'ok');
  });

  it('does not retry client errors or failures that are not HTTP (bugs)', async () => {
    for (const failure of [statusError(400), statusError(401), statusError(403), new TypeError('x is undefined')]) {
      const call = scripted([failure]);
      await assert.rejects(withRetry(call.fn, policy()), (err) => err === failure);
      assert.equal(call.times.length, 1);
    }
  });

  it('gives up after maxAttempts and throws the last failure', async () => {
    const failures = [statusError(503), statusError(503), statusError(503), statusError(503, {}, { message: 'last' })];
    const call = scripted(failures);
    await assert.rejects(drive(withRetry(call.fn, policy()), clock), (err) => err === failures[3]);
    assert.equal(call.times.length, 4);
  });

  it('gives up when the next wait would pass maxElapsedMs', async () => {
    const call = scripted([statusError(429, { 'retry-after': '120' })]);
    await assert.rejects(withRetry(call.fn, policy({ options: { maxElapsedMs: 60_000 } })), /429/);
    assert.equal(call.times.length, 1);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const call = scripted([statusError(503)]);
    const running = withRetry(call.fn, policy({ signal: controller.signal }));
    await clock.tickAsync(100);
    controller.abort(new Error('cancelled by the job'));
    await assert.rejects(running, /cancelled by the job/);
    assert.equal(call.times.length, 1);
  });

  it('classifies typed-rest-client failures as shared/http attempt outcomes', () => {
    assert.deepEqual(classifyFailure(statusError(429, { 'Retry-After': '3' }, { message: 'slow down' })), {
      phase: 'response', status: 429, headers: { 'retry-after': '3' }, serverError: { code: undefined, message: 'slow down' },
    });
    assert.deepEqual(classifyFailure(new Error('Request timeout: /devops/_apis/wit')), { phase: 'timeout' });
    // The library cannot tell when a reset happened: it may have followed the request.
    assert.deepEqual(classifyFailure(networkError('ECONNRESET')), { phase: 'before-response', networkCode: 'ECONNRESET' });
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']) {
      assert.deepEqual(classifyFailure(networkError(code)), { phase: 'connect', networkCode: code });
    }
    assert.equal(classifyFailure('not an error'), undefined);
  });
});
