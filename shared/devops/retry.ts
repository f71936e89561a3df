/**
 * The shared/http retry policy applied to azure-devops-node-api calls, which run on the library's own HTTP
 * stack (typed-rest-client): its errors are classified into the same attempt outcomes, and the same decision
 * (decideRetry) and backoff (backoffDelay, Retry-After) apply. shared/http has no generic wrapper for a
 * foreign call, hence this one.
 */
import { silentLogger, type Logger } from '../core';
import { DEFAULT_RETRY, parseServerError, sleep, systemClock, type Clock, type RetryOptions } from '../http';
import { backoffDelay, decideRetry, isConnectOnlyCode, type AttemptOutcome } from '../http/retry-policy';

export interface RetryPolicy {
  options?: Partial<RetryOptions>;
  /** Whether repeating the call is harmless (reads). Writes are repeated only when the server certainly did not act. */
  idempotent: boolean;
  /** What the call does, for debug logs ("read work item 12"). */
  description: string;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  signal?: AbortSignal;
}

/** An error thrown by azure-devops-node-api / typed-rest-client (status errors carry the parsed body and headers). */
export interface NodeApiError extends Error {
  statusCode?: number;
  result?: unknown;
  responseHeaders?: Record<string, string | string[] | undefined>;
  code?: string;
}

/** Runs `fn`, repeating it after throttling and transient failures as shared/http would. */
export async function withRetry<T>(fn: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  const options: RetryOptions = { ...DEFAULT_RETRY, ...policy.options };
  const clock = policy.clock ?? systemClock;
  const random = policy.random ?? Math.random;
  const logger = policy.logger ?? silentLogger;
  const started = clock.now();
  let retries = 0;
  for (;;) {
    if (policy.signal?.aborted) throw policy.signal.reason;
    try {
      return await fn();
    } catch (err) {
      const outcome = classifyFailure(err);
      if (!outcome) throw err;
      const now = clock.now();
      const decision = decideRetry(outcome, policy.idempotent, now);
      if (!decision) throw err;
      const wait = decision.retryAfterMs ?? backoffDelay(retries, options, random);
      if (retries + 1 >= options.maxAttempts || now + wait - started > options.maxElapsedMs) {
        logger.debug(`Azure DevOps ${policy.description}: ${decision.reason}; not retrying (retry limits reached)`);
        throw err;
      }
      retries++;
      logger.debug(`Azure DevOps ${policy.description}: ${decision.reason} on attempt ${retries}; waiting ${wait} ms before retrying`);
      await sleep(clock, wait, policy.signal);
    }
  }
}

/**
 * The attempt outcome of a node-api failure, or undefined when it is not an HTTP/network failure (a bug, a
 * bad argument): those are never retried. typed-rest-client does not say whether a network error happened
 * before or after the request was sent, so only codes that a connection attempt alone fails with (refused,
 * DNS) count as "nothing sent"; any other network error may have followed the request (retried for reads only).
 */
export function classifyFailure(err: unknown): AttemptOutcome | undefined {
  if (!(err instanceof Error)) return undefined;
  const failure = err as NodeApiError;
  if (typeof failure.statusCode === 'number') {
    return {
      phase: 'response',
      status: failure.statusCode,
      headers: lowerCaseHeaders(failure.responseHeaders),
      serverError: parseServerError(failure.result),
    };
  }
  if (/^Request timeout/.test(failure.message)) return { phase: 'timeout' };
  if (typeof failure.code === 'string' && /^E[A-Z_]+$/.test(failure.code)) {
    return { phase: isConnectOnlyCode(failure.code) ? 'connect' : 'before-response', networkCode: failure.code };
  }
  return undefined;
}

function lowerCaseHeaders(headers: NodeApiError['responseHeaders']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
