/**
 * What an import left behind: the import job row (progress, completedon, the XML log in `data`) and
 * RetrieveSolutionImportResult's SolutionOperationResult; and the error that turns them into a readable message.
 */
import { UserError } from '../../core';
import type { DataverseClient } from '../client';
import { DataverseError } from '../errors';
import { asyncStatusLabel, formatErrorCode, type AsyncOperationState } from './async-operation';
import { describeImportFailure, describeImportWarnings, parseImportJobLog, type ImportJobLog } from './import-log';

export interface ImportJobRow {
  importjobid: string;
  solutionname?: string | null;
  progress?: number | null;
  startedon?: string | null;
  completedon?: string | null;
  importcontext?: string | null;
  data?: string | null;
}

/** RetrieveSolutionImportResult's result (protocol.md §3.8; Status values other than "Passed" are unverified). */
export interface SolutionOperationResult {
  Type?: string;
  Status?: string;
  WarningMessages?: string[] | null;
  ErrorMessages?: string[] | null;
}

export interface ImportReport {
  importJobId: string;
  job?: ImportJobRow;
  log?: ImportJobLog;
  /** Why the log could not be read, when it could not. */
  logProblem?: string;
  operationResult?: SolutionOperationResult;
}

const JOB_COLUMNS = 'importjobid,solutionname,progress,startedon,completedon,importcontext';

/** The import job row, or undefined when there is none with this id (yet). */
export async function getImportJob(client: DataverseClient, importJobId: string,
  options: { includeData?: boolean; signal?: AbortSignal } = {}): Promise<ImportJobRow | undefined> {
  const response = await client.request<ImportJobRow>('GET', `importjobs(${importJobId})`, {
    operation: `read import job ${importJobId}`,
    query: { $select: options.includeData ? `${JOB_COLUMNS},data` : JOB_COLUMNS },
    acceptStatuses: [404],
    signal: options.signal,
  });
  return response.status === 404 ? undefined : response.data;
}

/** RetrieveSolutionImportResult(ImportJobId=…); undefined when the server does not know the function or the job. */
export async function retrieveSolutionImportResult(client: DataverseClient, importJobId: string,
  signal?: AbortSignal): Promise<SolutionOperationResult | undefined> {
  const response = await client.request<{ SolutionOperationResult?: SolutionOperationResult }>(
    'GET', `RetrieveSolutionImportResult(ImportJobId=${importJobId})`, {
      operation: 'RetrieveSolutionImportResult',
      acceptStatuses: [400, 404],
      signal,
    });
  return response.status === 200 ? response.data?.SolutionOperationResult : undefined;
}

/** Reads the import job (with its log) and the operation result; each part is best effort. */
export async function readImportReport(client: DataverseClient, importJobId: string, signal?: AbortSignal): Promise<ImportReport> {
  const report: ImportReport = { importJobId };
  try {
    report.job = await getImportJob(client, importJobId, { includeData: true, signal });
  } catch (err) {
    if (signal?.aborted || !(err instanceof DataverseError)) throw err;
    report.logProblem = `the import job could not be read: ${err.message}`;
  }
  if (report.job?.data) {
    try {
      report.log = parseImportJobLog(report.job.data);
    } catch (err) {
      report.logProblem = (err as Error).message;
    }
  } else if (report.job) {
    report.logProblem = 'the import job has no log';
  } else {
    report.logProblem ??= `there is no import job ${importJobId}`;
  }
  try {
    report.operationResult = await retrieveSolutionImportResult(client, importJobId, signal);
  } catch (err) {
    if (signal?.aborted || !(err instanceof DataverseError)) throw err;
  }
  return report;
}

/** Whether the report says the import failed (the log's verdict first, then RetrieveSolutionImportResult's). */
export function reportFailed(report: ImportReport): boolean {
  if (report.log) return report.log.outcome === 'failure';
  const status = report.operationResult?.Status?.toLowerCase();
  return status !== undefined && status !== 'passed' && status !== 'succeeded' && status !== 'success';
}

/** Warnings for users: component warnings and failures of an import that succeeded overall, plus the server's warning messages. */
export function reportWarnings(report: ImportReport): string[] {
  const fromLog = report.log ? describeImportWarnings(report.log) : [];
  const failedComponents = report.log?.components.filter((c) => c.result === 'failure')
    .map((c) => `${c.element} '${c.name ?? c.id ?? '?'}' failed: ${c.errorText ?? 'no error text'}${c.errorCode ? ` (${c.errorCode})` : ''}`) ?? [];
  const fromServer = (report.operationResult?.WarningMessages ?? []).filter((w) => w && !fromLog.some((l) => l.includes(w)));
  return [...failedComponents, ...fromLog, ...fromServer];
}

export interface ImportSubject {
  solutionName?: string;
  version?: string;
}

/** An import (or stage-and-upgrade) failed: the message says what failed and why, from the log when there is one. */
export class SolutionImportError extends UserError {
  constructor(message: string, readonly report?: ImportReport, readonly asyncState?: AsyncOperationState, hint?: string) {
    super(message, hint);
    this.name = 'SolutionImportError';
  }

  static fromReport(report: ImportReport, subject: ImportSubject, asyncState?: AsyncOperationState): SolutionImportError {
    const where = ` Import job ${report.importJobId}${asyncState ? `, system job ${asyncState.asyncoperationid}` : ''}.`;
    if (report.log && (report.log.outcome === 'failure' || report.log.missingDependencies.length > 0)) {
      return new SolutionImportError(describeImportFailure(report.log, subject) + where, report, asyncState);
    }
    const name = `${subject.solutionName ?? report.job?.solutionname ?? 'the solution'}${subject.version ? ` ${subject.version}` : ''}`;
    const reasons = [
      ...(report.operationResult?.ErrorMessages ?? []),
      asyncState?.friendlymessage ?? undefined,
      asyncState?.message !== asyncState?.friendlymessage ? asyncState?.message ?? undefined : undefined,
    ].filter((text): text is string => typeof text === 'string' && text.trim() !== '');
    const code = asyncState?.errorcode !== undefined && asyncState.errorcode !== null ? ` (error code ${formatErrorCode(asyncState.errorcode)})` : '';
    const status = asyncState && asyncState.statuscode !== 31 ? ` (${asyncStatusLabel(asyncState.statuscode)})` : '';
    const because = reasons.length > 0 ? `: ${[...new Set(reasons.map((r) => r.trim().replace(/\.$/, '')))].join(' — ')}` : '; the server gave no reason';
    const logNote = report.logProblem ? ` The import log could not be used: ${report.logProblem}.` : '';
    return new SolutionImportError(`Import of ${name} failed${status}${because}${code}.${where}${logNote}`, report, asyncState,
      'See Solution History in the Power Platform admin center for details.');
  }
}
