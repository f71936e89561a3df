/**
 * Solution export (protocol.md §3.5): ExportSolutionAsync → wait for the system job → DownloadSolutionExportData,
 * whose base64 `ExportSolutionFile` is decoded to `<outFile>.partial` as it arrives and renamed at the end, so
 * memory stays flat and no partial zip is left behind on failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../../core';
import { systemClock } from '../../http';
import type { DataverseClient } from '../client';
import { DataverseError } from '../errors';
import { pollAsyncOperation } from './async-operation';
import { Base64ExtractError, Base64PropertyExtractor } from './base64-streams';
import { OperationDeadline, type SolutionOperationOptions } from './operation';
import { getSolution, listSolutions } from './queries';

/** The optional settings of an export (ExportSolution's Export…Settings Boolean parameters). */
export interface ExportSettings {
  autoNumbering?: boolean;
  calendar?: boolean;
  customization?: boolean;
  emailTracking?: boolean;
  general?: boolean;
  marketing?: boolean;
  outlookSynchronization?: boolean;
  relationshipRoles?: boolean;
  isvConfig?: boolean;
  sales?: boolean;
  externalApplications?: boolean;
}

const SETTING_PARAMETERS: Record<keyof ExportSettings, string> = {
  autoNumbering: 'ExportAutoNumberingSettings',
  calendar: 'ExportCalendarSettings',
  customization: 'ExportCustomizationSettings',
  emailTracking: 'ExportEmailTrackingSettings',
  general: 'ExportGeneralSettings',
  marketing: 'ExportMarketingSettings',
  outlookSynchronization: 'ExportOutlookSynchronizationSettings',
  relationshipRoles: 'ExportRelationshipRoles',
  isvConfig: 'ExportIsvConfig',
  sales: 'ExportSales',
  externalApplications: 'ExportExternalApplications',
};

export interface ExportSolutionOptions extends SolutionOperationOptions {
  uniqueName: string;
  managed: boolean;
  settings?: ExportSettings;
  /** The zip to write; its folder is created when missing. */
  outFile: string;
}

export interface ExportSolutionResult {
  outFile: string;
  bytes: number;
  version: string;
  asyncOperationId: string;
}

/** Attempts of the download (a read: repeating it is harmless) when the connection breaks mid-stream. */
const DOWNLOAD_ATTEMPTS = 3;
const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

export async function exportSolution(client: DataverseClient, options: ExportSolutionOptions): Promise<ExportSolutionResult> {
  const clock = options.poll?.clock ?? systemClock;
  const started = clock.now();
  const deadline = new OperationDeadline(options);
  const remaining = () => deadline.remaining();
  const solution = await getSolution(client, options.uniqueName, { signal: options.signal });
  if (!solution) throw await solutionNotFound(client, options.uniqueName, options.signal);
  if (solution.ismanaged) {
    throw new UserError(`Solution '${solution.uniquename}' is managed in ${client.environmentUrl}; only unmanaged solutions can be exported.`,
      'Export from the development environment where the solution is unmanaged (set managed: true to get a managed zip from there).');
  }
  const kind = options.managed ? 'managed' : 'unmanaged';
  const what = `${kind} export of ${solution.uniquename} ${solution.version}`;
  const body: Record<string, unknown> = { SolutionName: solution.uniquename, Managed: options.managed };
  for (const [key, parameter] of Object.entries(SETTING_PARAMETERS) as Array<[keyof ExportSettings, string]>) {
    const value = options.settings?.[key];
    if (value !== undefined) body[parameter] = value;
  }
  const exportStarted = await client.post<{ AsyncOperationId?: string; ExportJobId?: string }>('ExportSolutionAsync', body, {
    operation: 'ExportSolutionAsync',
    // Exporting changes nothing in the environment: a second export job after an unclear failure is harmless.
    idempotent: true,
    retry: { lockDeadlineMs: remaining() },
    signal: options.signal,
  });
  if (!exportStarted?.AsyncOperationId || !exportStarted.ExportJobId) throw new Error('ExportSolutionAsync answered without AsyncOperationId and ExportJobId.');
  await pollAsyncOperation(client, exportStarted.AsyncOperationId, {
    ...options.poll, signal: options.signal, timeoutMs: remaining(), onProgress: options.onProgress, operation: what,
  });
  options.onProgress?.({ operation: what, asyncOperationId: exportStarted.AsyncOperationId, status: 'Downloading', elapsedMs: clock.now() - started });
  const bytes = await downloadExport(client, exportStarted.ExportJobId, options.outFile, options.signal);
  return { outFile: options.outFile, bytes, version: solution.version, asyncOperationId: exportStarted.AsyncOperationId };
}

async function solutionNotFound(client: DataverseClient, uniqueName: string, signal?: AbortSignal): Promise<UserError> {
  let known = '';
  try {
    const unmanaged = await listSolutions(client, { managed: false, signal });
    const names = unmanaged.map((s) => s.uniquename).filter((n) => !['Active', 'Basic', 'Default'].includes(n));
    known = names.length > 0 ? ` Unmanaged solutions there: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}.` : '';
  } catch (err) {
    if (signal?.aborted) throw err;
  }
  return new UserError(`Solution '${uniqueName}' was not found in ${client.environmentUrl}.${known}`,
    'Use the solution\'s unique name (Name column in the maker portal), not its display name.');
}

/**
 * DownloadSolutionExportData streamed to `<outFile>.partial`, renamed to outFile when complete. A connection
 * lost mid-download is retried (the export job keeps its file); the partial file is removed on failure.
 */
export async function downloadExport(client: DataverseClient, exportJobId: string, outFile: string, signal?: AbortSignal): Promise<number> {
  await fs.promises.mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  const partial = `${outFile}.partial`;
  for (let attempt = 1; ; attempt++) {
    try {
      const bytes = await downloadOnce(client, exportJobId, partial, signal);
      await fs.promises.rename(partial, outFile);
      return bytes;
    } catch (err) {
      await fs.promises.rm(partial, { force: true });
      if (signal?.aborted || !isStreamInterruption(err)) throw err;
      if (attempt >= DOWNLOAD_ATTEMPTS) {
        const code = (err as { code?: unknown }).code;
        throw new UserError(`The download of the exported solution (export job ${exportJobId}) was interrupted ${attempt} times; ` +
          `last: ${(err as Error).message}${typeof code === 'string' && code !== (err as Error).message ? ` (${code})` : ''}.`,
        'Check the agent\'s network and proxy, then run the export again.');
      }
    }
  }
}

async function downloadOnce(client: DataverseClient, exportJobId: string, partial: string, signal?: AbortSignal): Promise<number> {
  const response = await client.request<Readable>('POST', 'DownloadSolutionExportData', {
    operation: 'DownloadSolutionExportData',
    body: { ExportJobId: exportJobId },
    responseType: 'stream',
    idempotent: true,
    signal,
  });
  const extractor = new Base64PropertyExtractor('ExportSolutionFile');
  try {
    await pipeline(response.data, extractor, fs.createWriteStream(partial), { signal });
  } catch (err) {
    if (!(err instanceof Base64ExtractError)) throw err;
    if (extractor.started && !extractor.complete) throw new DownloadInterruptedError(err.message);
    throw new UserError(`The exported solution could not be read from DownloadSolutionExportData: ${err.message}`);
  }
  const head = Buffer.alloc(4);
  const file = await fs.promises.open(partial, 'r');
  try {
    await file.read(head, 0, 4, 0);
  } finally {
    await file.close();
  }
  if (!head.equals(ZIP_SIGNATURE)) {
    throw new UserError(`DownloadSolutionExportData returned ${extractor.bytes} bytes that are not a zip file (export job ${exportJobId}).`);
  }
  return extractor.bytes;
}

/** The download ended before the file was complete (connection closed early). */
class DownloadInterruptedError extends UserError {}

function isStreamInterruption(err: unknown): boolean {
  if (err instanceof DownloadInterruptedError) return true;
  if (err instanceof DataverseError) return err.status === undefined;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && ['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED', 'ETIMEDOUT'].includes(code);
}
