/**
 * Waiting for a Dataverse system job (asyncoperation, protocol.md §4.1): poll with a growing interval until
 * statecode 3; 3/30 succeeded, 3/31 failed, 3/32 canceled. A timeout or a cancellation stops the waiting, not the
 * job, and the error says so and how to check on it.
 */
import { UserError } from '../../core';
import { sleep, systemClock, type Clock } from '../../http';
import type { DataverseClient } from '../client';
import { DataverseError } from '../errors';

export interface AsyncOperationState {
  asyncoperationid: string;
  statecode: number;
  statuscode: number;
  name?: string | null;
  messagename?: string | null;
  message?: string | null;
  friendlymessage?: string | null;
  errorcode?: number | string | null;
  startedon?: string | null;
  completedon?: string | null;
}

const STATUS_LABELS: Record<number, string> = {
  0: 'Waiting for resources',
  10: 'Waiting',
  20: 'In progress',
  21: 'Pausing',
  22: 'Canceling',
  30: 'Succeeded',
  31: 'Failed',
  32: 'Canceled',
};

export function asyncStatusLabel(statuscode: number): string {
  return STATUS_LABELS[statuscode] ?? `status ${statuscode}`;
}

export interface OperationProgress {
  /** What is being waited for, e.g. "import of Contoso 1.2.0.0". */
  operation: string;
  asyncOperationId?: string;
  statecode?: number;
  statuscode?: number;
  /** "In progress", "Waiting for resources"… */
  status: string;
  /** 0–100 when the server reports it (import job progress). */
  percent?: number;
  elapsedMs: number;
}

export interface PollOptions {
  signal?: AbortSignal;
  /** Stop waiting after this long (default 60 minutes, as Build Tools' MaxAsyncWaitTime). */
  timeoutMs?: number;
  /** First wait between polls (default 2 s); it grows by half each poll up to maxPollIntervalMs (default 15 s). */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Time source for waits and the timeout (tests inject one). */
  clock?: Clock;
  onProgress?: (progress: OperationProgress) => void;
  /** When known, the import job whose `progress` column gives a percentage. */
  importJobId?: string;
  /** Names the operation in progress reports and errors (default "system job <id>"). */
  operation?: string;
}

export const DEFAULT_POLL_TIMEOUT_MS = 60 * 60_000;
const DEFAULT_POLL_INTERVAL_MS = 2_000;
const DEFAULT_MAX_POLL_INTERVAL_MS = 15_000;
/** Consecutive failed polls (network, 5xx) tolerated before giving up: the job itself is unaffected by them. */
const MAX_CONSECUTIVE_POLL_FAILURES = 5;
const SELECT = 'asyncoperationid,name,messagename,statecode,statuscode,message,friendlymessage,errorcode,startedon,completedon';

/** The system job ended in 3/31 (failed) or 3/32 (canceled). */
export class AsyncOperationFailedError extends UserError {
  constructor(readonly operation: string, readonly state: AsyncOperationState) {
    super(failureMessage(operation, state), 'See Solution History in the Power Platform admin center (or the maker portal) for details.');
    this.name = 'AsyncOperationFailedError';
  }
}

/** We stopped waiting (timeout or cancellation); the server may still be working. */
export class AsyncOperationNotFinishedError extends UserError {
  constructor(readonly operation: string, readonly reason: 'timeout' | 'cancelled', readonly asyncOperationId: string,
    readonly lastState: AsyncOperationState | undefined, waitedMs: number, readonly apiBase: string) {
    super(notFinishedMessage(operation, reason, asyncOperationId, lastState, waitedMs),
      `To check on it: Solution History in the Power Platform admin center, or GET ${apiBase}/asyncoperations(${asyncOperationId})` +
      '?$select=statecode,statuscode,message (statecode 3 = finished; statuscode 30 = succeeded). ' +
      'Do not start the same operation again until it has finished.');
    this.name = 'AsyncOperationNotFinishedError';
  }
}

function failureMessage(operation: string, state: AsyncOperationState): string {
  const detail = [state.friendlymessage, state.message !== state.friendlymessage ? state.message : undefined]
    .filter((text): text is string => typeof text === 'string' && text.trim() !== '')
    .map((text) => text.trim());
  const code = state.errorcode !== undefined && state.errorcode !== null ? ` (error code ${formatErrorCode(state.errorcode)})` : '';
  const verdict = state.statuscode === 32 ? 'was canceled' : 'failed';
  return `The ${operation} ${verdict} on the server (system job ${state.asyncoperationid}, ${asyncStatusLabel(state.statuscode)})${code}` +
    `${detail.length > 0 ? `: ${detail.join(' — ')}` : '; the server gave no message.'}`;
}

/** asyncoperation.errorcode is a signed 32-bit int; Dataverse documents codes in hex (0x80048033). */
export function formatErrorCode(code: number | string): string {
  if (typeof code === 'number') return `0x${(code >>> 0).toString(16).padStart(8, '0')}`;
  return code;
}

function notFinishedMessage(operation: string, reason: 'timeout' | 'cancelled', id: string, last: AsyncOperationState | undefined,
  waitedMs: number): string {
  const minutes = Math.max(1, Math.round(waitedMs / 60_000));
  const why = reason === 'timeout' ? `did not finish within ${minutes} minute${minutes === 1 ? '' : 's'}` : 'was still running when the task was cancelled';
  const state = last ? ` Last state: ${asyncStatusLabel(last.statuscode)}.` : '';
  return `The ${operation} ${why}. The server may still be working on it (system job ${id}): it was not stopped.${state}`;
}

export function isTerminal(state: AsyncOperationState): boolean {
  return state.statecode === 3;
}

export async function readAsyncOperation(client: DataverseClient, id: string, signal?: AbortSignal): Promise<AsyncOperationState> {
  return client.get<AsyncOperationState>(`asyncoperations(${id})`, {
    operation: `read system job ${id}`,
    query: { $select: SELECT },
    signal,
  });
}

/** importjobs(id).progress (0–100), or undefined when the job row does not exist yet or cannot be read. */
export async function readImportProgress(client: DataverseClient, importJobId: string, signal?: AbortSignal): Promise<number | undefined> {
  try {
    const response = await client.request<{ progress?: number | null }>('GET', `importjobs(${importJobId})`, {
      operation: `read import job ${importJobId}`,
      query: { $select: 'progress' },
      acceptStatuses: [404],
      signal,
    });
    return response.status === 200 && typeof response.data?.progress === 'number' ? response.data.progress : undefined;
  } catch (err) {
    if (signal?.aborted) throw err;
    return undefined;
  }
}

/**
 * The waits of one polling loop: the interval grows by half each time up to the maximum, and the last wait is
 * cut to end at the deadline. `wait()` resolves false once the deadline has passed, and rejects when the
 * signal aborts.
 */
export class PollSchedule {
  readonly clock: Clock;
  readonly started: number;
  private interval: number;
  private readonly maxInterval: number;
  private readonly deadline: number;

  constructor(private readonly options: Pick<PollOptions, 'clock' | 'timeoutMs' | 'pollIntervalMs' | 'maxPollIntervalMs' | 'signal'>) {
    this.clock = options.clock ?? systemClock;
    this.started = this.clock.now();
    this.maxInterval = options.maxPollIntervalMs ?? DEFAULT_MAX_POLL_INTERVAL_MS;
    this.interval = Math.min(options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, this.maxInterval);
    this.deadline = this.started + (options.timeoutMs ?? DEFAULT_POLL_TIMEOUT_MS);
  }

  elapsed(): number {
    return this.clock.now() - this.started;
  }

  async wait(): Promise<boolean> {
    const remaining = this.deadline - this.clock.now();
    if (remaining <= 0) return false;
    await sleep(this.clock, Math.min(this.interval, remaining), this.options.signal);
    this.interval = Math.min(this.maxInterval, Math.round(this.interval * 1.5));
    return true;
  }
}

/**
 * Polls asyncoperations(id) until it reaches statecode 3 and returns that state whatever the status; throws
 * AsyncOperationNotFinishedError on timeout or cancellation. Use pollAsyncOperation to also fail on 31/32.
 */
export async function waitForAsyncOperation(client: DataverseClient, id: string, options: PollOptions = {}): Promise<AsyncOperationState> {
  const schedule = new PollSchedule(options);
  const operation = options.operation ?? `system job ${id}`;
  let last: AsyncOperationState | undefined;
  let failures = 0;
  const notFinished = (reason: 'timeout' | 'cancelled') =>
    new AsyncOperationNotFinishedError(operation, reason, id, last, schedule.elapsed(), client.apiBase);

  for (;;) {
    if (options.signal?.aborted) throw notFinished('cancelled');
    try {
      last = await readAsyncOperation(client, id, options.signal);
      failures = 0;
    } catch (err) {
      if (options.signal?.aborted) throw notFinished('cancelled');
      if (!isTransientPollFailure(err) || ++failures >= MAX_CONSECUTIVE_POLL_FAILURES) throw err;
    }
    if (last && isTerminal(last)) return last;
    if (last && options.onProgress) {
      const percent = options.importJobId ? await readImportProgress(client, options.importJobId, options.signal) : undefined;
      options.onProgress({
        operation, asyncOperationId: id, statecode: last.statecode, statuscode: last.statuscode,
        status: asyncStatusLabel(last.statuscode), percent, elapsedMs: schedule.elapsed(),
      });
    }
    let more: boolean;
    try {
      more = await schedule.wait();
    } catch {
      throw notFinished('cancelled');
    }
    if (!more) throw notFinished('timeout');
  }
}

/**
 * Waits for the system job and returns its final state when it succeeded (3/30); throws
 * AsyncOperationFailedError for 3/31 and 3/32 (with the server's message and friendlymessage).
 */
export async function pollAsyncOperation(client: DataverseClient, id: string, options: PollOptions = {}): Promise<AsyncOperationState> {
  const state = await waitForAsyncOperation(client, id, options);
  if (state.statuscode !== 30) throw new AsyncOperationFailedError(options.operation ?? `system job ${id}`, state);
  return state;
}

/** A poll that failed for a reason that says nothing about the job: no answer, or a 5xx. */
export function isTransientPollFailure(err: unknown): boolean {
  return err instanceof DataverseError && (err.status === undefined || err.status >= 500);
}
