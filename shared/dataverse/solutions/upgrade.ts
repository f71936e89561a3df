/**
 * Applying a staged upgrade (DeleteAndPromoteAsync, protocol.md §3.10) and publishing customizations
 * (PublishAllXml(Async), §3.11). Lock conflicts ("Cannot start another [Import]…") are waited out by the
 * transport up to the caller's overall limit.
 */
import { UserError } from '../../core';
import type { DataverseClient } from '../client';
import { DataverseError } from '../errors';
import { PollSchedule, pollAsyncOperation } from './async-operation';
import { isAmbiguous, OperationDeadline, type SolutionOperationOptions } from './operation';
import { getHoldingSolution, getSolution, holdingSolutionName, type SolutionInfo } from './queries';

export interface DeleteAndPromoteResult {
  asyncOperationId?: string;
  /** The solution as installed after the upgrade. */
  solution?: SolutionInfo;
  /** The version it had before. */
  previousVersion?: string;
}

/** How long to watch for the holding solution to disappear after an ambiguous DeleteAndPromote failure. */
const CONFIRM_WINDOW_MS = 60_000;

/**
 * Replaces `uniqueName` with its holding solution `<uniqueName>_Upgrade` (imported with holdingSolution: true),
 * deleting the components the new version no longer has.
 */
export async function deleteAndPromote(client: DataverseClient, uniqueName: string, options: SolutionOperationOptions = {}): Promise<DeleteAndPromoteResult> {
  const deadline = new OperationDeadline(options);
  const remaining = () => deadline.remaining();
  const [base, holding] = await Promise.all([
    getSolution(client, uniqueName, { signal: options.signal }),
    getHoldingSolution(client, uniqueName, { signal: options.signal }),
  ]);
  if (!base) {
    throw new UserError(`Cannot apply the upgrade of '${uniqueName}': the solution is not installed in ${client.environmentUrl}.`,
      'Check the unique name (not the display name).');
  }
  if (!holding) {
    throw new UserError(`Cannot apply the upgrade of '${uniqueName}': there is no holding solution '${holdingSolutionName(uniqueName)}'.`,
      'Import the new version with holdingSolution first, or upgrade in one step with stageAndUpgrade.');
  }
  const what = `upgrade of ${uniqueName} from ${base.version} to ${holding.version} (DeleteAndPromote)`;
  let asyncOperationId: string | undefined;
  try {
    const response = await client.post<{ AsyncOperationId?: string }>('DeleteAndPromoteAsync', { UniqueName: uniqueName }, {
      operation: 'DeleteAndPromoteAsync',
      retry: { lockDeadlineMs: remaining() },
      signal: options.signal,
    });
    asyncOperationId = response?.AsyncOperationId;
    if (!asyncOperationId) throw new Error('DeleteAndPromoteAsync answered without an AsyncOperationId.');
  } catch (err) {
    if (!(err instanceof DataverseError) || !isAmbiguous(err)) throw err;
    await confirmPromoted(client, uniqueName, err, { ...options, timeoutMs: Math.min(remaining(), CONFIRM_WINDOW_MS) });
  }
  if (asyncOperationId) {
    await pollAsyncOperation(client, asyncOperationId, {
      ...options.poll, signal: options.signal, timeoutMs: remaining(), onProgress: options.onProgress, operation: what,
    });
  }
  return { asyncOperationId, solution: await getSolution(client, uniqueName, { signal: options.signal }), previousVersion: base.version };
}

/** After an ambiguous failure: the holding solution disappears once the promotion is done. */
async function confirmPromoted(client: DataverseClient, uniqueName: string, cause: DataverseError, options: SolutionOperationOptions): Promise<void> {
  const schedule = new PollSchedule({ ...options.poll, signal: options.signal, timeoutMs: options.timeoutMs });
  for (;;) {
    if (!(await getHoldingSolution(client, uniqueName, { signal: options.signal }))) return;
    if (!(await schedule.wait())) {
      throw new UserError(`DeleteAndPromoteAsync for '${uniqueName}' may or may not have started: ${cause.message} ` +
        `The holding solution '${holdingSolutionName(uniqueName)}' is still there, so the request was not sent again.`,
      'Check Solution History in the Power Platform admin center; run the upgrade step again only when no upgrade is running.');
    }
  }
}

export interface PublishOptions extends SolutionOperationOptions {
  /** PublishAllXmlAsync and wait for it (default), or the synchronous PublishAllXml. */
  async?: boolean;
}

/** Publishes all customizations. */
export async function publishAllCustomizations(client: DataverseClient, options: PublishOptions = {}): Promise<{ asyncOperationId?: string }> {
  const deadline = new OperationDeadline(options);
  const remaining = () => deadline.remaining();
  if (options.async === false) {
    // Publishing again is harmless, and the sync call can take minutes: retry it as idempotent, with a long timeout.
    await client.post('PublishAllXml', {}, {
      operation: 'PublishAllXml', idempotent: true, timeoutMs: Math.min(remaining(), 30 * 60_000), retry: { lockDeadlineMs: remaining() }, signal: options.signal,
    });
    return {};
  }
  const response = await client.post<{ AsyncOperationId?: string } | undefined>('PublishAllXmlAsync', {}, {
    operation: 'PublishAllXmlAsync', idempotent: true, retry: { lockDeadlineMs: remaining() }, signal: options.signal,
  });
  const asyncOperationId = response?.AsyncOperationId;
  // The response property is unverified (protocol.md §3.11): without an id there is nothing to wait for.
  if (asyncOperationId) {
    await pollAsyncOperation(client, asyncOperationId, {
      ...options.poll, signal: options.signal, timeoutMs: remaining(), onProgress: options.onProgress, operation: 'publish of all customizations',
    });
  }
  return { asyncOperationId };
}
