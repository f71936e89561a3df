import * as assert from 'node:assert/strict';
import { isSolutionOperationLock, parseRetryAfter } from '../../../shared/http';
import { decideRetry } from '../../../shared/http/retry-policy';

describe('shared/http retry policy', () => {
  const response = (status: number, headers: Record<string, string> = {}, serverError = {}) =>
    ({ phase: 'response', status, headers, serverError }) as const;

  it('parses Retry-After seconds and HTTP-dates, ignores garbage', () => {
    const now = Date.UTC(2026, 0, 1);
    assert.equal(parseRetryAfter('2', now), 2000);
    assert.equal(parseRetryAfter(new Date(now + 30_000).toUTCString(), now), 30_000);
    assert.equal(parseRetryAfter(new Date(now - 30_000).toUTCString(), now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  it('recognises the solution-operation lock by code or message, on 429 or 400 only', () => {
    assert.ok(isSolutionOperationLock(429, { code: '0x80071151' }));
    assert.ok(isSolutionOperationLock(400, { message: 'Cannot start another [Import] because there is a previous [Import] running' }));
    assert.ok(isSolutionOperationLock(400, { message: 'Microsoft.Crm.ObjectModel.CustomizationLockException' }));
    assert.ok(!isSolutionOperationLock(500, { code: '0x80071151' }));
    assert.ok(!isSolutionOperationLock(400, { code: '0x80040203', message: 'Invalid argument' }));
  });

  it('non-idempotent: only when the server certainly did not act', () => {
    for (const networkCode of ['ECONNREFUSED', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT']) {
      assert.equal(decideRetry({ phase: 'connect', networkCode }, false, 0)?.retryClass, 'transient', networkCode);
    }
    assert.equal(decideRetry({ phase: 'connect', networkCode: 'ENOTFOUND' }, false, 0), undefined);
    assert.equal(decideRetry({ phase: 'before-response', networkCode: 'ECONNRESET' }, false, 0), undefined);
    assert.equal(decideRetry({ phase: 'before-response', networkCode: 'EPIPE' }, false, 0), undefined);
    assert.equal(decideRetry({ phase: 'before-response', networkCode: 'ETIMEDOUT' }, false, 0), undefined);
    assert.equal(decideRetry({ phase: 'mid-response', networkCode: 'ECONNRESET' }, false, 0), undefined);
    assert.equal(decideRetry({ phase: 'timeout' }, false, 0), undefined);
    assert.equal(decideRetry(response(502), false, 0), undefined);
    assert.equal(decideRetry(response(503, { 'retry-after': '5' }), false, 0)?.retryAfterMs, 5000);
    assert.equal(decideRetry(response(429), false, 0)?.retryClass, 'throttled');
  });

  it('idempotent: 502/503/504, resets and timeouts; never 4xx or 500', () => {
    for (const status of [502, 503, 504]) assert.equal(decideRetry(response(status), true, 0)?.retryClass, 'transient');
    assert.equal(decideRetry({ phase: 'before-response', networkCode: 'ECONNRESET' }, true, 0)?.retryClass, 'transient');
    assert.equal(decideRetry({ phase: 'mid-response', networkCode: 'ECONNRESET' }, true, 0)?.retryClass, 'transient');
    assert.equal(decideRetry({ phase: 'timeout' }, true, 0)?.retryClass, 'transient');
    assert.equal(decideRetry({ phase: 'connect', networkCode: 'ENOTFOUND' }, true, 0), undefined);
    for (const status of [400, 401, 403, 404, 500]) assert.equal(decideRetry(response(status), true, 0), undefined);
  });
});
