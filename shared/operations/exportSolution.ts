/**
 * export-solution (DataverseExportSolution): unmanaged and/or managed zips of a solution from an environment,
 * optionally unpacked into a source folder (deterministic: re-exporting an unchanged solution changes no file)
 * and a deployment settings template. The zips are written under a temporary name and renamed when complete.
 */
import * as path from 'node:path';
import { UserError } from '../core';
import {
  exportSolution as exportFromDataverse, publishAllCustomizations,
  type DataverseClient, type ExportSettings, type OperationProgress, type SolutionOperationOptions,
} from '../dataverse';
import { readSolutionZip, unpackSolution } from '../solution';
import { findSolutionToExport } from './export/find-solution';
import { writeSettingsTemplate } from './export/settings-template';
import { compareSnapshots, snapshotTree, type TreeChanges } from './export/tree-snapshot';
import type { PackageTypeChoice } from './packSolution';
import type { Reporter } from './reporter';

export interface ExportSolutionOptions {
  /** Unique name of the solution (not its display name). */
  solutionName: string;
  packageType: PackageTypeChoice;
  /** Where the zips go: `<Name>_<v_v_v_v>.zip` and `<Name>_<v_v_v_v>_managed.zip`. */
  outputFolder: string;
  /** Unpack the export(s) here: a pac project folder (its SolutionRootPath) or the solution tree itself. */
  unpackFolder?: string;
  /** Write a deployment settings template to this file (values already filled in there are kept). */
  settingsFile?: string;
  /** PublishAllXml before exporting, so unpublished customizations are included. */
  publishBeforeExport?: boolean;
  exportSettings?: ExportSettings;
  /** Overall limit per server operation (publish, each export); default 60 minutes. */
  timeoutMs?: number;
  /** Polling cadence and time source (tests). */
  poll?: SolutionOperationOptions['poll'];
}

export interface ExportDependencies {
  client: DataverseClient;
}

export interface ExportedFile {
  file: string;
  managed: boolean;
  bytes: number;
}

export interface UnpackSummary {
  solutionRoot: string;
  /** Files the tree holds after the unpack. */
  files: number;
  /** Paths relative to the unpack folder, forward slashes. */
  added: string[];
  changed: string[];
  removed: string[];
}

export interface ExportSolutionResult {
  solutionName: string;
  friendlyName: string;
  solutionVersion: string;
  unmanagedSolutionFile?: string;
  managedSolutionFile?: string;
  files: ExportedFile[];
  totalBytes: number;
  published: boolean;
  unpack?: UnpackSummary;
  settingsFile?: string;
}

export async function exportSolution(options: ExportSolutionOptions, deps: ExportDependencies, reporter: Reporter): Promise<ExportSolutionResult> {
  validateOptions(options);
  const { client } = deps;
  const { signal } = reporter;
  const operation = { signal, timeoutMs: options.timeoutMs, poll: options.poll };

  const solution = await reporter.group('Find the solution', async () => {
    const found = await findSolutionToExport(client, options.solutionName.trim(), signal);
    reporter.info(`Solution ${found.uniquename} ${found.version} ('${found.friendlyname}') in ${client.environmentUrl}.`);
    return found;
  });

  let published = false;
  if (options.publishBeforeExport) {
    await reporter.group('Publish all customizations', async () => {
      reporter.progress(5, 'Publishing customizations');
      await publishAllCustomizations(client, { ...operation, onProgress: progressLogger(reporter, 5, 15) });
      reporter.info('Published all customizations.');
    });
    published = true;
  }

  const kinds = options.packageType === 'both' ? [false, true] : [options.packageType === 'managed'];
  const baseName = `${solution.uniquename}_${solution.version.replace(/\./g, '_')}`;
  const files: ExportedFile[] = [];
  for (const [index, managed] of kinds.entries()) {
    signal.throwIfAborted();
    const kind = managed ? 'managed' : 'unmanaged';
    const from = 20 + index * (60 / kinds.length);
    const file = path.resolve(options.outputFolder, `${baseName}${managed ? '_managed' : ''}.zip`);
    const exported = await reporter.group(`Export ${kind}`, async () => {
      reporter.progress(from, `Exporting ${kind}`);
      const result = await exportFromDataverse(client, {
        ...operation, uniqueName: solution.uniquename, managed, settings: options.exportSettings, outFile: file,
        onProgress: progressLogger(reporter, from, from + 60 / kinds.length),
      });
      reporter.info(`${path.basename(file)}: ${formatSize(result.bytes)}.`);
      return result;
    });
    files.push({ file: exported.outFile, managed, bytes: exported.bytes });
  }
  const unmanagedSolutionFile = files.find((f) => !f.managed)?.file;
  const managedSolutionFile = files.find((f) => f.managed)?.file;

  let unpack: UnpackSummary | undefined;
  if (options.unpackFolder) {
    signal.throwIfAborted();
    const folder = path.resolve(options.unpackFolder);
    unpack = await reporter.group('Unpack into the source folder', async () => {
      reporter.progress(85, 'Unpacking');
      const before = await snapshotTree(folder);
      const result = await unpackSolution({ unmanagedZipPath: unmanagedSolutionFile, managedZipPath: managedSolutionFile, folder, logger: reporter });
      const changes = compareSnapshots(before, await snapshotTree(folder));
      reporter.info(describeChanges(changes));
      return { solutionRoot: result.solutionRoot, files: result.written.length, added: changes.added, changed: changes.changed, removed: changes.removed };
    });
  }

  let settingsFile: string | undefined;
  if (options.settingsFile) {
    signal.throwIfAborted();
    settingsFile = path.resolve(options.settingsFile);
    await reporter.group('Deployment settings template', async () => {
      const contents = await readSolutionZip(unmanagedSolutionFile ?? (managedSolutionFile as string));
      const written = await writeSettingsTemplate(settingsFile as string, contents);
      reporter.info(`${written.written ? 'Wrote' : 'Unchanged:'} ${written.file}: ${contents.connectionReferences.length} connection reference(s), ` +
        `${contents.environmentVariables.length} environment variable(s)${written.keptValues > 0 ? `, ${written.keptValues} filled-in value(s) kept` : ''}.`);
    });
  }
  reporter.progress(100, 'Done');

  return {
    solutionName: solution.uniquename,
    friendlyName: solution.friendlyname,
    solutionVersion: solution.version,
    unmanagedSolutionFile,
    managedSolutionFile,
    files,
    totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
    published,
    unpack,
    settingsFile,
  };
}

function validateOptions(options: ExportSolutionOptions): void {
  if (!options.solutionName?.trim()) {
    throw new UserError('No solution name was given.', "Set 'solutionName' to the solution's unique name.");
  }
  const folders: Array<[string, string | undefined]> = [
    ['outputFolder', options.outputFolder], ['unpackFolder', options.unpackFolder], ['settingsFile', options.settingsFile],
  ];
  for (const [input, value] of folders) {
    const unexpanded = value ? /\$\([^)]*\)/.exec(value) : undefined;
    if (unexpanded) {
      throw new UserError(`Input '${input}' ('${value}') holds the pipeline variable ${unexpanded[0]}, which was not expanded.`,
        'Check the variable name (Azure Pipelines leaves unknown variables as they are), or give a real path.');
    }
  }
  if (options.unpackFolder && isInside(path.resolve(options.outputFolder), path.resolve(options.unpackFolder))) {
    throw new UserError(`The unpack folder '${options.unpackFolder}' is inside the output folder '${options.outputFolder}'.`,
      'Unpack into the source folder of the repository and keep the zips in a separate output folder (e.g. the artifact staging directory).');
  }
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** One log line per change of server status (not per poll), and the progress bar between `from` and `to`. */
function progressLogger(reporter: Reporter, from: number, to: number): (progress: OperationProgress) => void {
  let lastStatus = '';
  return (progress) => {
    const percent = progress.percent ?? 50;
    reporter.progress(Math.round(from + ((to - from) * percent) / 100), `${progress.operation}: ${progress.status}`);
    if (progress.status !== lastStatus) {
      lastStatus = progress.status;
      reporter.info(`${capitalize(progress.operation)}: ${progress.status} (${Math.round(progress.elapsedMs / 1000)} s).`);
    }
  };
}

function describeChanges(changes: TreeChanges): string {
  if (changes.added.length + changes.changed.length + changes.removed.length === 0) {
    return `No file changed (${changes.unchanged} files identical to the previous export).`;
  }
  const list = (label: string, files: string[]) => (files.length > 0 ? `${label} ${files.length}` : undefined);
  const parts = [list('added', changes.added), list('changed', changes.changed), list('removed', changes.removed)].filter(Boolean);
  return `Source folder: ${parts.join(', ')}; ${changes.unchanged} unchanged.`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
