/**
 * The approval wait loop: polls the work item's state until it reaches an approved or a rejected state, or
 * the timeout passes. Cancellation (the signal) stops polling at once and says where the approval stands.
 */
import { UserError } from '../core';
import { sleep, systemClock, type Clock } from '../http';
import { describePerson } from './work-item-fields';
import type { ApprovalOutcome, StateChange, WaitForApprovalOptions, WorkItemComment, WorkItemStatus } from './types';

/** What the wait needs from Azure DevOps (DevOpsClient implements it). */
export interface ApprovalSource {
  getWorkItemStatus(id: number, signal?: AbortSignal): Promise<WorkItemStatus>;
  findStateChange(id: number, states: string[], signal?: AbortSignal): Promise<StateChange | undefined>;
  getLatestComment(id: number, signal?: AbortSignal): Promise<WorkItemComment | undefined>;
}

export class ApprovalWaitCancelledError extends UserError {
  constructor(readonly workItemId: number, readonly lastState: string | undefined) {
    super(
      `Stopped waiting for approval work item ${workItemId}${lastState ? ` (state '${lastState}')` : ''}: the job was cancelled.`,
      'The work item stays open in Azure Boards; approve or close it there, and run the stage again when needed.',
    );
    this.name = 'ApprovalWaitCancelledError';
  }
}

export interface WaitDependencies {
  clock?: Clock;
  /** Debug-level details (the wait's own progress goes through onPoll). */
  debug?: (message: string) => void;
}

export async function waitForApproval(source: ApprovalSource, options: WaitForApprovalOptions, deps: WaitDependencies = {}): Promise<ApprovalOutcome> {
  validate(options);
  const clock = deps.clock ?? systemClock;
  const approved = new Set(options.approvedStates.map(normalize));
  const rejected = new Set(options.rejectedStates.map(normalize));
  const { workItemId, signal } = options;
  const started = clock.now();
  const deadline = started + options.timeoutMs;
  let polls = 0;
  let last: WorkItemStatus | undefined;

  const cancelled = (): ApprovalWaitCancelledError => new ApprovalWaitCancelledError(workItemId, last?.state);
  for (;;) {
    if (signal?.aborted) throw cancelled();
    try {
      last = await source.getWorkItemStatus(workItemId, signal);
    } catch (err) {
      if (signal?.aborted) throw cancelled();
      throw err;
    }
    polls++;
    const now = clock.now();
    options.onPoll?.({ status: last, poll: polls, elapsedMs: now - started, remainingMs: Math.max(0, deadline - now) });

    const state = normalize(last.state);
    if (approved.has(state) || rejected.has(state)) {
      const decision = approved.has(state) ? 'granted' : 'rejected';
      const decidingStates = decision === 'granted' ? options.approvedStates : options.rejectedStates;
      const change = await optional(() => source.findStateChange(workItemId, decidingStates, signal), deps.debug, 'its history');
      const latestComment = await optional(() => source.getLatestComment(workItemId, signal), deps.debug, 'its comments');
      const decidedBy = change?.by ?? last.changedBy;
      deps.debug?.(`Approval work item ${workItemId} is '${last.state}' (${decision}) by ${describePerson(decidedBy)}`);
      return {
        decision,
        workItem: last,
        decidedBy,
        decidedAt: change?.at ?? last.changedDate,
        latestComment,
        polls,
        elapsedMs: clock.now() - started,
      };
    }
    if (now >= deadline) {
      return { decision: 'timed-out', workItem: last, polls, elapsedMs: now - started };
    }
    try {
      await sleep(clock, Math.min(options.pollIntervalMs, deadline - now), signal);
    } catch {
      throw cancelled();
    }
  }
}

/** Details that only enrich the outcome: their failure is logged and does not fail the decided wait. */
async function optional<T>(read: () => Promise<T>, debug: ((message: string) => void) | undefined, what: string): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    debug?.(`Could not read ${what} of the approval work item: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

function validate(options: WaitForApprovalOptions): void {
  if (!Number.isInteger(options.workItemId) || options.workItemId <= 0) {
    throw new UserError(`'${options.workItemId}' is not a work item id.`, 'Give the id (a positive whole number) of the approval work item.');
  }
  if (options.approvedStates.length === 0) {
    throw new UserError('No approved state was given.', 'Name the work item state(s) that mean "approved", e.g. Done or Closed.');
  }
  const overlap = options.approvedStates.filter((s) => options.rejectedStates.some((r) => normalize(r) === normalize(s)));
  if (overlap.length > 0) {
    throw new UserError(`State(s) ${overlap.map((s) => `'${s}'`).join(', ')} are listed as both approved and rejected.`, 'Each state can mean only one decision.');
  }
  if (!(options.timeoutMs >= 0) || !(options.pollIntervalMs > 0)) {
    throw new UserError('The approval timeout must be 0 or more and the poll interval more than 0.', 'Check the timeout and poll interval inputs.');
  }
}

function normalize(state: string): string {
  return state.trim().toLowerCase();
}
