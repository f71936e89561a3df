/** What every long solution operation takes (cancellation, overall limit, progress, polling), and its deadline. */
import { HttpError, systemClock, type Clock } from '../../http';
import type { DataverseError } from '../errors';
import { DEFAULT_POLL_TIMEOUT_MS, type OperationProgress, type PollOptions } from './async-operation';

export interface SolutionOperationOptions {
  signal?: AbortSignal;
  /** Overall limit, including waits for the solution-operation lock (default 60 minutes). */
  timeoutMs?: number;
  onProgress?: (progress: OperationProgress) => void;
  /** Polling cadence and time source (tests). */
  poll?: Pick<PollOptions, 'pollIntervalMs' | 'maxPollIntervalMs' | 'clock'>;
}

/** The overall limit of one operation, shared by its lock waits and its polling. */
export class OperationDeadline {
  private readonly clock: Clock;
  private readonly endsAt: number;

  constructor(options: SolutionOperationOptions) {
    this.clock = options.poll?.clock ?? systemClock;
    this.endsAt = this.clock.now() + (options.timeoutMs ?? DEFAULT_POLL_TIMEOUT_MS);
  }

  /** Milliseconds left (at least 1, so a limit passed mid-step still yields a prompt timeout, not "no limit"). */
  remaining(): number {
    return Math.max(1, this.endsAt - this.clock.now());
  }
}

/**
 * Whether a failed non-idempotent request may still have been acted on: the transport says the outcome is
 * unknown (connection lost or timed out after connecting, answer cut off), or the server answered 5xx. The
 * transport has already retried what was certainly not acted on (never connected, 429, lock) and does not
 * repeat the rest.
 */
export function isAmbiguous(err: DataverseError): boolean {
  const cause = err.cause;
  if (cause instanceof HttpError && cause.kind !== 'status') return cause.outcomeUnknown;
  return err.status !== undefined && err.status >= 500;
}
