/**
 * approval-wait (DataverseApprovalWait): creates an approval work item in Azure Boards naming the solution,
 * its version and the target environment (linked to the run), then waits until someone moves it to an approved
 * or rejected state, or the timeout passes. Rejection and timeout fail with who rejected / how long it waited and
 * what to do; cancellation says the work item stays open.
 */
import { UserError } from '../core';
import {
  describePerson, waitForApproval as waitForWorkItem,
  type ApprovalPoll, type ApprovalSource, type ApprovalWorkItemRequest, type CreatedWorkItem, type DevOpsClient, type WorkItemLink,
} from '../devops';
import { systemClock, type Clock } from '../http';
import { formatDuration } from './approval/duration';
import type { Reporter } from './reporter';

export interface WaitForApprovalOptions {
  solutionName: string;
  solutionVersion: string;
  /** The environment the approval is for: a name ("Production") or its URL. */
  targetEnvironment: string;
  /** Work item type; default Task. */
  workItemType?: string;
  assignedTo?: string;
  areaPath?: string;
  tags?: string[];
  /** Extra text for the work item (plain text, shown above the links). */
  instructions?: string;
  /** Build.BuildId: links the work item to the run's build. */
  buildId?: number;
  /** URL of the pipeline run. */
  runUrl?: string;
  /** More links, e.g. the solution artifact or the test environment. */
  links?: WorkItemLink[];
  /** States that mean approved (case-insensitive), e.g. ["Closed"] (Agile), ["Done"] (Basic/Scrum). */
  approvedStates: string[];
  /** States that mean rejected, e.g. ["Removed"]. */
  rejectedStates: string[];
  timeoutMs: number;
  pollIntervalMs: number;
  /** How often a "still waiting" line is logged (besides every state change). Default 5 minutes. */
  progressIntervalMs?: number;
}

export interface ApprovalDependencies {
  devops: Pick<DevOpsClient, 'createApprovalWorkItem' | 'addComment'> & ApprovalSource;
  /** Time source (tests). */
  clock?: Clock;
}

export interface ApprovalResult {
  workItemId: number;
  workItemUrl?: string;
  /** The approved state the work item reached. */
  state: string;
  approvedBy: string;
  approvedAt?: Date;
  /** The newest comment on the work item when it was approved. */
  comment?: string;
  waitedMs: number;
}

const DEFAULT_PROGRESS_INTERVAL_MS = 5 * 60_000;

export async function waitForApproval(options: WaitForApprovalOptions, deps: ApprovalDependencies, reporter: Reporter): Promise<ApprovalResult> {
  const clock = deps.clock ?? systemClock;
  const title = approvalTitle(options);

  const workItem = await reporter.group('Create the approval work item', async () => {
    const created = await deps.devops.createApprovalWorkItem(workItemRequest(options, title), reporter.signal);
    reporter.info(`Created ${created.type} ${created.id} '${created.title}' in ${created.areaPath} (state '${created.state}').`);
    if (created.webUrl) reporter.info(`Approve it here: ${created.webUrl}`);
    reporter.info(`Approve by moving it to ${listStates(options.approvedStates)}; reject with ${listStates(options.rejectedStates) || '(no rejected state)'}.`);
    return created;
  });

  const outcome = await reporter.group(`Wait for approval (up to ${formatDuration(options.timeoutMs)})`, () =>
    waitForWorkItem(deps.devops, {
      workItemId: workItem.id,
      approvedStates: options.approvedStates,
      rejectedStates: options.rejectedStates,
      timeoutMs: options.timeoutMs,
      pollIntervalMs: options.pollIntervalMs,
      signal: reporter.signal,
      onPoll: progressReporter(reporter, workItem, options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS),
    }, { clock, debug: (message) => reporter.debug(message) }));

  const where = `work item ${workItem.id}${workItem.webUrl ? ` (${workItem.webUrl})` : ''}`;
  const comment = outcome.latestComment?.text.trim() || undefined;
  if (outcome.decision === 'rejected') {
    const when = outcome.decidedAt ? ` at ${outcome.decidedAt.toISOString()}` : '';
    throw new UserError(
      `${title} was rejected by ${describePerson(outcome.decidedBy)}${when} (${where} moved to '${outcome.workItem.state}')` +
        `${comment ? `: "${comment}"` : '; no comment was given'}.`,
      'Address the reason given, then run the pipeline again; a new approval work item is created then.');
  }
  if (outcome.decision === 'timed-out') {
    await noteTimeout(deps, workItem.id, options.timeoutMs, reporter);
    throw new UserError(
      `No approval decision within ${formatDuration(outcome.elapsedMs)} for ${title}: ${where} is still '${outcome.workItem.state}'.`,
      `Ask the approver${options.assignedTo ? ` (${options.assignedTo})` : 's'} to decide, then re-run this stage (a new work item is created), ` +
        'or allow a longer timeout. Approving the old work item now does not resume this run.');
  }

  const approvedBy = describePerson(outcome.decidedBy);
  reporter.info(`Approved by ${approvedBy}${outcome.decidedAt ? ` at ${outcome.decidedAt.toISOString()}` : ''} ` +
    `(state '${outcome.workItem.state}') after ${formatDuration(outcome.elapsedMs)}${comment ? `: "${comment}"` : '.'}`);
  reporter.progress(100, 'Approved');
  return {
    workItemId: workItem.id,
    workItemUrl: workItem.webUrl,
    state: outcome.workItem.state,
    approvedBy,
    approvedAt: outcome.decidedAt,
    comment,
    waitedMs: outcome.elapsedMs,
  };
}

export function approvalTitle(options: Pick<WaitForApprovalOptions, 'solutionName' | 'solutionVersion' | 'targetEnvironment'>): string {
  const version = options.solutionVersion.trim();
  return `Approve ${options.solutionName.trim()}${version ? ` ${version}` : ''} for ${environmentLabel(options.targetEnvironment)}`;
}

function workItemRequest(options: WaitForApprovalOptions, title: string): ApprovalWorkItemRequest {
  for (const [input, value] of [['solutionName', options.solutionName], ['targetEnvironment', options.targetEnvironment]] as const) {
    if (!value?.trim()) throw new UserError(`Input '${input}' is empty.`, 'The approval work item names the solution and the environment it is deployed to.');
  }
  const description = [
    `The pipeline waits for approval to deploy solution ${options.solutionName.trim()} ${options.solutionVersion.trim()} to ${options.targetEnvironment.trim()}.`,
    `Approve: move this work item to ${listStates(options.approvedStates)}.` +
      (options.rejectedStates.length > 0 ? ` Reject: move it to ${listStates(options.rejectedStates)} and say why in a comment.` : ''),
    ...(options.instructions?.trim() ? [options.instructions.trim()] : []),
  ].join('\n');
  return {
    type: options.workItemType,
    title,
    description,
    links: options.links,
    assignedTo: options.assignedTo,
    areaPath: options.areaPath,
    tags: options.tags,
    buildId: options.buildId,
    runUrl: options.runUrl,
  };
}

/** A line on every state change, a "still waiting" line every `intervalMs` otherwise, and the progress bar as the share of the timeout used. */
function progressReporter(reporter: Reporter, workItem: CreatedWorkItem, intervalMs: number): (poll: ApprovalPoll) => void {
  let lastState = workItem.state;
  let lastLineAt = 0;
  return (poll) => {
    const total = poll.elapsedMs + poll.remainingMs;
    reporter.progress(total > 0 ? Math.min(99, Math.round((poll.elapsedMs / total) * 100)) : 0, `Waiting for approval (state ${poll.status.state})`);
    if (poll.status.state !== lastState) {
      reporter.info(`Work item ${workItem.id} moved to '${poll.status.state}' (by ${describePerson(poll.status.changedBy)}).`);
      lastState = poll.status.state;
    } else if (poll.elapsedMs - lastLineAt >= intervalMs) {
      lastLineAt = poll.elapsedMs;
      reporter.info(`Still waiting for approval of work item ${workItem.id} (state '${poll.status.state}'): ` +
        `${formatDuration(poll.elapsedMs)} so far, ${formatDuration(poll.remainingMs)} left.`);
    }
  };
}

/** Tells approvers on the work item that the pipeline stopped waiting (best effort: the timeout error matters more). */
async function noteTimeout(deps: ApprovalDependencies, id: number, timeoutMs: number, reporter: Reporter): Promise<void> {
  try {
    await deps.devops.addComment(id, `The pipeline stopped waiting for this approval after ${formatDuration(timeoutMs)}. ` +
      'Approving it now does not resume that run; the stage has to be run again.', reporter.signal);
  } catch (err) {
    reporter.warn(`Could not add the timeout note to work item ${id}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function environmentLabel(environment: string): string {
  const text = environment.trim();
  try {
    const url = new URL(text);
    return url.host + url.pathname.replace(/\/+$/, '');
  } catch {
    return text;
  }
}

function listStates(states: string[]): string {
  return states.map((s) => `'${s}'`).join(' or ');
}
