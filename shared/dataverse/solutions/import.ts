/**
 * Solution import and upgrade (protocol.md §3.7–3.9): ImportSolutionAsync (install, update, or holding
 * solution) and StageAndUpgradeAsync, always async on the server, then the import job's log decides.
 *
 * By default the zip is first sent to StageSolution: its missing dependencies and validation errors fail the
 * deployment with a specific message before any import starts, and the import then refers to the staged file
 * (SolutionParameters.StageSolutionUploadId) instead of uploading it a second time. `stage: false` uploads
 * the zip in the import request itself.
 *
 * The import request is sent again only when the server certainly did not act on it: no connection was made,
 * the solution-operation lock and throttling (the transport retries these, up to timeoutMs), or a staged upload
 * that a refused attempt used up (staged again, at most three times). When it fails ambiguously (timeout or
 * reset once connected, answer cut off, 5xx), the import job we named (ImportJobId, client-generated) is looked for: if it appears, the import
 * is followed through it; if not, the error says the outcome is unknown, what Solution History shows running,
 * and how to check.
 */
import { randomUUID } from 'node:crypto';
import { UserError } from '../../core';
import type { DataverseClient } from '../client';
import { DataverseError } from '../errors';
import { PollSchedule, waitForAsyncOperation, type AsyncOperationState, type PollOptions } from './async-operation';
import { base64JsonFileBody, type Base64JsonBody } from './base64-streams';
import { type DeletedComponent, type ImportJobLog } from './import-log';
import {
  getImportJob, readImportReport, reportFailed, reportWarnings, SolutionImportError, type ImportJobRow, type ImportReport,
} from './import-result';
import { isAmbiguous, OperationDeadline, type SolutionOperationOptions } from './operation';
import { getActiveSolutionOperation, type SolutionOperationInfo } from './queries';
import { describeValidationResult, stageSolution, type StagedSolution } from './stage';
import { uploadTimeoutMs } from './upload';

/** A ComponentParameters entry (protocol.md §5.2), e.g. a connectionreference or environmentvariablevalue with `@odata.type`. */
export type ComponentParameter = Record<string, unknown>;

export interface ImportSolutionOptions extends SolutionOperationOptions {
  zipPath: string;
  /** Import as the holding solution `<name>_Upgrade`, to be applied by deleteAndPromote. */
  holdingSolution?: boolean;
  overwriteUnmanagedCustomizations: boolean;
  /** Turn on flows and processes after the import. */
  publishWorkflows: boolean;
  componentParameters?: ComponentParameter[];
  /** Default: a new GUID. */
  importJobId?: string;
  /** Validate with StageSolution first and import the staged file (default true). */
  stage?: boolean;
  /** How long to look for the import job after an ambiguous failure of the import request (default 60 s). */
  confirmWindowMs?: number;
}

export type StageAndUpgradeOptions = Omit<ImportSolutionOptions, 'holdingSolution'>;

export interface ImportSolutionResult {
  importJobId: string;
  /** Absent when the import was followed through its import job after an ambiguous request failure. */
  asyncOperationId?: string;
  uniqueName?: string;
  version?: string;
  managed?: boolean;
  /** Component warnings (e.g. flows left off), component failures of an import that succeeded overall, server warnings. */
  warnings: string[];
  log?: ImportJobLog;
  /** Components an upgrade deleted, when the server lists them. */
  deletedComponents: DeletedComponent[];
  staged?: StagedSolution;
}

type ImportAction = 'ImportSolutionAsync' | 'StageAndUpgradeAsync';

const DEFAULT_CONFIRM_WINDOW_MS = 60_000;
const MAX_RESTAGES = 3;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The import was refused because the staged upload it names no longer exists (nothing was imported). */
function isStagedUploadGone(err: unknown): boolean {
  return err instanceof DataverseError && err.status === 404 && /stagesolutionupload/i.test(err.serverMessage ?? '');
}

/** Thrown when an import request failed in a way that leaves open whether the server started it, and no trace of it was found. */
export class ImportOutcomeUnknownError extends UserError {
  constructor(action: string, importJobId: string, cause: DataverseError, windowMs: number, running?: SolutionOperationInfo) {
    const now = running
      ? ` Solution History shows ${running.operation}${running.subOperation ? ` (${running.subOperation})` : ''} of ${running.solutionName}` +
        `${running.version ? ` ${running.version}` : ''} in progress${running.startedOn ? ` since ${running.startedOn}` : ''}.`
      : '';
    super(`${action} may or may not have started: ${cause.message} No import job ${importJobId} appeared within ` +
      `${Math.round(windowMs / 1000)} s, so the request was not sent again (it could import the solution twice).${now}`,
    'Check Solution History in the Power Platform admin center (or importjobs and asyncoperations) before running the ' +
      'deployment again; wait for a running import to finish first.');
    this.name = 'ImportOutcomeUnknownError';
    this.cause = cause;
  }
}

/** Installs, updates, or (holdingSolution) stages an upgrade of a solution through ImportSolutionAsync. */
export function importSolution(client: DataverseClient, options: ImportSolutionOptions): Promise<ImportSolutionResult> {
  return runImport(client, 'ImportSolutionAsync', options);
}

/** Upgrades in one step (StageAndUpgradeAsync): components missing from the new version are deleted. */
export function stageAndUpgrade(client: DataverseClient, options: StageAndUpgradeOptions): Promise<ImportSolutionResult> {
  return runImport(client, 'StageAndUpgradeAsync', { ...options, holdingSolution: false });
}

async function runImport(client: DataverseClient, action: ImportAction, options: ImportSolutionOptions): Promise<ImportSolutionResult> {
  const importJobId = (options.importJobId ?? randomUUID()).toLowerCase();
  const deadline = new OperationDeadline(options);
  const remaining = () => deadline.remaining();

  let staged: StagedSolution | undefined;
  if (options.stage !== false) {
    options.onProgress?.({ operation: 'solution validation (StageSolution)', status: 'Uploading', elapsedMs: 0 });
    staged = await stageSolution(client, options.zipPath, { signal: options.signal });
    assertStagedImportable(staged, action);
  }
  const subject = { solutionName: staged?.uniqueName, version: staged?.version };
  const what = `${action === 'StageAndUpgradeAsync' ? 'upgrade' : options.holdingSolution ? 'holding-solution import' : 'import'}` +
    `${subject.solutionName ? ` of ${subject.solutionName}${subject.version ? ` ${subject.version}` : ''}` : ''}`;

  const fields: Record<string, unknown> = {
    OverwriteUnmanagedCustomizations: options.overwriteUnmanagedCustomizations,
    PublishWorkflows: options.publishWorkflows,
    ImportJobId: importJobId,
    ...(options.holdingSolution ? { HoldingSolution: true } : {}),
    ...(options.componentParameters && options.componentParameters.length > 0 ? { ComponentParameters: options.componentParameters } : {}),
  };
  const upload = staged ? undefined : await base64JsonFileBody(fields, 'CustomizationFile', options.zipPath);
  options.onProgress?.({ operation: what, status: staged ? 'Starting' : 'Uploading', elapsedMs: 0 });

  let asyncState: AsyncOperationState | undefined;
  let started: StartedImport | undefined;
  try {
    started = await sendImportRequest(client, action, fields, upload ?? staged, options, remaining);
    staged = started.staged;
  } catch (err) {
    if (!(err instanceof DataverseError) || !isAmbiguous(err)) throw err;
    const job = await findImportJob(client, importJobId, err, action, {
      ...options.poll, signal: options.signal, timeoutMs: Math.min(remaining(), options.confirmWindowMs ?? DEFAULT_CONFIRM_WINDOW_MS),
    });
    await waitForImportJob(client, job, what, { ...options.poll, signal: options.signal, timeoutMs: remaining(), onProgress: options.onProgress });
  }
  if (started) {
    asyncState = await waitForAsyncOperation(client, started.asyncOperationId, {
      ...options.poll, signal: options.signal, timeoutMs: remaining(), onProgress: options.onProgress, importJobId: started.importJobId, operation: what,
    });
  }

  const report = await readImportReport(client, started?.importJobId ?? importJobId, options.signal);
  if ((asyncState && asyncState.statuscode !== 30) || reportFailed(report)) {
    throw SolutionImportError.fromReport(report, subject, asyncState);
  }
  return resultOf(report, started?.asyncOperationId, staged);
}

interface StartedImport {
  asyncOperationId: string;
  /** ImportJobKey, which public clients treat as the import job id (ours, normally). */
  importJobId: string;
  /** The staged upload finally used, when staging. */
  staged?: StagedSolution;
}

/**
 * Sends the import request: the zip streamed inside it, or a reference to the staged upload. A staged upload
 * may be used up by a refused attempt (e.g. one that met the lock): then the file is staged again.
 */
async function sendImportRequest(client: DataverseClient, action: ImportAction, fields: Record<string, unknown>,
  source: Base64JsonBody | StagedSolution | undefined, options: ImportSolutionOptions, remaining: () => number): Promise<StartedImport> {
  let staged = source && 'uploadId' in source ? source : undefined;
  const upload = source && 'body' in source ? source : undefined;
  for (let restaged = 0; ; restaged++) {
    try {
      const body = upload ? upload.body : { ...fields, ...(staged ? { SolutionParameters: { StageSolutionUploadId: staged.uploadId } } : {}) };
      const response = await client.post<{ AsyncOperationId?: string; ImportJobKey?: string }>(action, body, {
        operation: action,
        headers: upload?.headers,
        timeoutMs: upload ? uploadTimeoutMs(upload.length) : undefined,
        // The solution-operation lock is waited out up to the caller's overall limit.
        retry: { lockDeadlineMs: remaining() },
        signal: options.signal,
      });
      if (!response?.AsyncOperationId) throw new Error(`${action} answered without an AsyncOperationId.`);
      const key = response.ImportJobKey;
      return {
        asyncOperationId: response.AsyncOperationId,
        importJobId: key && GUID.test(key) ? key.toLowerCase() : String(fields.ImportJobId),
        staged,
      };
    } catch (err) {
      if (!staged || !isStagedUploadGone(err) || restaged >= MAX_RESTAGES) throw err;
      staged = await stageSolution(client, options.zipPath, { signal: options.signal });
      assertStagedImportable(staged, action);
    }
  }
}

function resultOf(report: ImportReport, asyncOperationId: string | undefined, staged: StagedSolution | undefined): ImportSolutionResult {
  return {
    importJobId: report.importJobId,
    asyncOperationId,
    uniqueName: report.log?.solution.uniqueName ?? staged?.uniqueName ?? report.job?.solutionname ?? undefined,
    version: report.log?.solution.version ?? staged?.version,
    managed: report.log?.solution.managed ?? staged?.managed,
    warnings: [...(staged?.warnings.map(describeValidationResult) ?? []), ...reportWarnings(report)],
    log: report.log,
    deletedComponents: report.log?.deletedComponents ?? [],
    staged,
  };
}

/** Fails before importing when StageSolution found missing dependencies or validation errors. */
function assertStagedImportable(staged: StagedSolution, action: ImportAction): void {
  const name = `${staged.uniqueName ?? 'the solution'}${staged.version ? ` ${staged.version}` : ''}`;
  if (staged.missingDependencies.length > 0) {
    const log: ImportJobLog = {
      outcome: 'failure',
      solution: { uniqueName: staged.uniqueName, version: staged.version, managed: staged.managed },
      components: [],
      missingDependencies: staged.missingDependencies,
      deletedComponents: [],
    };
    throw SolutionImportError.fromReport({ importJobId: '(none: found by StageSolution before importing)', log }, {});
  }
  if (staged.errors.length > 0 || staged.status.toLowerCase() !== 'passed') {
    const problems = [...staged.errors, ...(staged.status.toLowerCase() !== 'passed' ? staged.warnings : [])].map(describeValidationResult);
    throw new SolutionImportError(
      `Import of ${name} cannot start: StageSolution reported status '${staged.status}'` +
      `${problems.length > 0 ? `:\n  - ${problems.join('\n  - ')}` : ' without details.'}`,
      undefined, undefined, `Nothing was imported (${action} was not called). Fix the solution file and try again.`);
  }
}

/** Looks for the import job during the confirm window; throws ImportOutcomeUnknownError when it never appears. */
async function findImportJob(client: DataverseClient, importJobId: string, cause: DataverseError, action: string,
  options: PollOptions): Promise<string> {
  const schedule = new PollSchedule(options);
  for (;;) {
    try {
      if (await getImportJob(client, importJobId, { signal: options.signal })) return importJobId;
    } catch (err) {
      if (options.signal?.aborted || !(err instanceof DataverseError)) throw err;
    }
    if (!(await schedule.wait())) {
      throw new ImportOutcomeUnknownError(action, importJobId, cause, options.timeoutMs ?? 0,
        await getActiveSolutionOperation(client, { signal: options.signal }));
    }
  }
}

/** Follows an import through its import job (completedon, progress) when its system job id is unknown. */
async function waitForImportJob(client: DataverseClient, importJobId: string, what: string, options: PollOptions): Promise<ImportJobRow> {
  const schedule = new PollSchedule(options);
  for (;;) {
    const job = await getImportJob(client, importJobId, { signal: options.signal });
    if (job?.completedon) return job;
    options.onProgress?.({
      operation: what, status: 'In progress', percent: typeof job?.progress === 'number' ? job.progress : undefined, elapsedMs: schedule.elapsed(),
    });
    let more: boolean;
    try {
      more = await schedule.wait();
    } catch {
      more = false;
    }
    if (!more) {
      const why = options.signal?.aborted ? 'was still running when the task was cancelled'
        : `did not finish within ${Math.max(1, Math.round(schedule.elapsed() / 60_000))} minutes`;
      throw new UserError(`The ${what} ${why}. The server may still be working on it (import job ${importJobId}): it was not stopped.`,
        `Check Solution History in the Power Platform admin center, or GET ${client.apiBase}/importjobs(${importJobId})?$select=progress,completedon.`);
    }
  }
}
