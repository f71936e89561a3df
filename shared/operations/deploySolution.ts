/**
 * deploy-managed (DataverseDeploySolution): a solution zip → an environment. Pre-flight first (the file, the
 * installed and holding versions, the deployment settings against the solution and the target's connections):
 * every problem is listed at once and nothing is imported. Then install, update, upgrade (holding solution +
 * DeleteAndPromote, or StageAndUpgrade), or skip; optionally publish. The import itself (StageSolution
 * validation, lock waits, polling, the import log) is shared/dataverse's.
 */
import * as fs from 'node:fs';
import { UserError } from '../core';
import {
  deleteAndPromote, getHoldingSolution, getSolution, importSolution, listSolutionComponents, publishAllCustomizations, stageAndUpgrade,
  DEFAULT_POLL_TIMEOUT_MS,
  type DataverseClient, type DeletedComponent, type ImportSolutionResult, type OperationProgress, type SolutionComponentSummary,
  type SolutionInfo, type SolutionOperationOptions,
} from '../dataverse';
import { readDeploymentSettingsFile, readSolutionZip, type SolutionContents } from '../solution';
import { planDeployment, type AutoUpgradeMethod, type DeployMode, type DeployStep } from './deploy/plan';
import { prepareDeploymentSettings, type PreparedSettings } from './deploy/settings';
import { deploymentSummary, describeDeletedComponent, describeOutcome, formatDuration } from './deploy/summary';
import type { Reporter } from './reporter';

export { AUTO_UPGRADE_METHODS, DEPLOY_MODES, type AutoUpgradeMethod, type DeployMode, type DeployStep } from './deploy/plan';

export interface DeploySolutionOptions {
  /** The solution zip. */
  solutionFile: string;
  /** Default auto: not installed → install; older installed → autoUpgradeMethod; same version → skip. */
  mode?: DeployMode;
  /** What auto does over an older managed version (default upgrade: holding solution + DeleteAndPromote). */
  autoUpgradeMethod?: AutoUpgradeMethod;
  /** Import the installed version again instead of skipping (unmanaged only: Dataverse refuses it for managed). */
  allowSameVersion?: boolean;
  /** Skip, instead of failing, when the file is older than the installed version. */
  skipLowerVersion?: boolean;
  /** Allow an unmanaged solution (development or sandbox targets). */
  allowUnmanaged?: boolean;
  /** pac deployment settings file (connection references and environment variable values). */
  settingsFile?: string;
  overwriteUnmanagedCustomizations?: boolean;
  /** Turn flows and processes on after the import (default true). */
  publishWorkflows?: boolean;
  /** PublishAllXml after the import (default false; managed solutions need no publish). */
  publishCustomizations?: boolean;
  /** Overall limit for all server work, including lock waits (default 60 minutes). */
  timeoutMs?: number;
  /** Default: the reporter's signal. */
  signal?: AbortSignal;
  /** Polling cadence (tests). */
  poll?: SolutionOperationOptions['poll'];
}

export type DeployAction = 'installed' | 'updated' | 'upgraded' | 'skipped';

export interface DeploySolutionResult {
  action: DeployAction;
  /** How it was done; absent when skipped. */
  step?: DeployStep;
  solutionName: string;
  managed: boolean;
  /** The version installed before; absent for a new install. */
  fromVersion?: string;
  /** The version of the file. */
  toVersion: string;
  /** Absent when skipped or when only a waiting holding solution was applied. */
  importJobId?: string;
  skipReason?: string;
  warnings: string[];
  /** Components the upgrade deleted. */
  deletedComponents: DeletedComponent[];
  durationMs: number;
}

export interface DeployDependencies {
  client: DataverseClient;
}

interface Preflight {
  contents: SolutionContents;
  managed: boolean;
  installed?: SolutionInfo;
  step?: DeployStep;
  skipReason?: string;
  settings?: PreparedSettings;
}

const ACTION_OF: Record<DeployStep, DeployAction> = {
  install: 'installed', update: 'updated', upgrade: 'upgraded', stageAndUpgrade: 'upgraded', promote: 'upgraded',
};

export async function deploySolution(options: DeploySolutionOptions, deps: DeployDependencies, reporter: Reporter): Promise<DeploySolutionResult> {
  const started = Date.now();
  const { client } = deps;
  const signal = options.signal ?? reporter.signal;
  const endsAt = started + (options.timeoutMs ?? DEFAULT_POLL_TIMEOUT_MS);
  const operation = (): SolutionOperationOptions => ({ signal, timeoutMs: Math.max(1, endsAt - Date.now()), poll: options.poll });

  reporter.progress(0, 'Pre-flight checks');
  const pre = await reporter.group('Pre-flight checks', () => preflight(options, client, reporter, signal));
  const name = pre.contents.manifest.uniqueName;
  const toVersion = pre.contents.manifest.version;
  const warnings = [...(pre.settings?.warnings ?? [])];
  const warn = (text: string): void => {
    warnings.push(text);
    reporter.warn(text);
  };
  const base = { solutionName: name, managed: pre.managed, fromVersion: pre.installed?.version, toVersion };

  if (!pre.step) {
    reporter.info(pre.skipReason ?? 'Nothing to deploy.');
    const result: DeploySolutionResult = { ...base, action: 'skipped', skipReason: pre.skipReason, warnings, deletedComponents: [], durationMs: Date.now() - started };
    reporter.progress(100, 'Skipped');
    summarize(result, pre, client, false, reporter);
    return result;
  }

  signal.throwIfAborted();
  const step = pre.step;
  const componentParameters = pre.settings?.componentParameters;
  const common = {
    zipPath: options.solutionFile,
    overwriteUnmanagedCustomizations: options.overwriteUnmanagedCustomizations ?? false,
    publishWorkflows: options.publishWorkflows ?? true,
    componentParameters,
  };
  let imported: ImportSolutionResult | undefined;
  let deletedComponents: DeletedComponent[];

  if (step === 'install' || step === 'update' || step === 'stageAndUpgrade') {
    const title = step === 'stageAndUpgrade' ? `Upgrade ${name} to ${toVersion} (StageAndUpgrade)` : `Import ${name} ${toVersion}`;
    imported = await reporter.group(title, async () => {
      const run = { ...common, ...operation(), onProgress: progressTo(reporter, 5, 90) };
      const result = step === 'stageAndUpgrade' ? await stageAndUpgrade(client, run) : await importSolution(client, run);
      reporter.info(`Import job ${result.importJobId} succeeded.`);
      return result;
    });
    deletedComponents = imported.deletedComponents;
  } else {
    if (step === 'upgrade') {
      imported = await reporter.group(`Import ${name} ${toVersion} as holding solution ${name}_Upgrade`, async () => {
        const result = await importSolution(client, { ...common, holdingSolution: true, ...operation(), onProgress: progressTo(reporter, 5, 70) });
        reporter.info(`Import job ${result.importJobId} succeeded; ${name}_Upgrade ${toVersion} is staged.`);
        return result;
      });
    } else if (componentParameters && componentParameters.length > 0) {
      warn('The deployment settings were not sent: they apply when a solution file is imported, and the waiting holding solution was imported earlier.');
    }
    deletedComponents = await reporter.group(`Apply the upgrade of ${name} (DeleteAndPromote)`, () =>
      promote(client, name, toVersion, imported?.importJobId, operation(), reporter, warn));
  }
  imported?.warnings.forEach(warn);

  const publish = options.publishCustomizations === true;
  if (publish) {
    signal.throwIfAborted();
    await reporter.group('Publish all customizations', async () => {
      reporter.progress(95, 'Publishing customizations');
      await publishAllCustomizations(client, operation());
      reporter.info('Published all customizations.');
    });
  }

  const result: DeploySolutionResult = {
    ...base, action: ACTION_OF[step], step, importJobId: imported?.importJobId, warnings, deletedComponents, durationMs: Date.now() - started,
  };
  if (deletedComponents.length > 0) reporter.info(`Deleted by the upgrade: ${deletedComponents.map(describeDeletedComponent).join(', ')}.`);
  reporter.info(`${describeOutcome(result)} in ${client.environmentUrl} (${formatDuration(result.durationMs)}).`);
  reporter.progress(100, 'Deployed');
  summarize(result, pre, client, publish, reporter);
  return result;
}

async function preflight(options: DeploySolutionOptions, client: DataverseClient, reporter: Reporter, signal: AbortSignal): Promise<Preflight> {
  const contents = await readSolutionFile(options.solutionFile);
  const { manifest } = contents;
  const managed = manifest.managed === 1;
  reporter.info(`Solution file: ${manifest.uniqueName} ${manifest.version} (${managed ? 'managed' : 'unmanaged'}); ` +
    `${contents.connectionReferences.length} connection reference(s), ${contents.environmentVariables.length} environment variable(s), ` +
    `${contents.cloudFlows.length} cloud flow(s).`);
  const settingsFile = options.settingsFile?.trim() ? options.settingsFile : undefined;
  const settings = settingsFile ? await readDeploymentSettingsFile(settingsFile) : undefined;

  const [installed, holding] = await Promise.all([
    getSolution(client, manifest.uniqueName, { signal }),
    getHoldingSolution(client, manifest.uniqueName, { signal }),
  ]);
  reporter.info(installed
    ? `Installed in ${client.environmentUrl}: ${installed.uniquename} ${installed.version} (${installed.ismanaged ? 'managed' : 'unmanaged'}).`
    : `${manifest.uniqueName} is not installed in ${client.environmentUrl}.`);
  if (holding) reporter.info(`Holding solution ${holding.uniquename} ${holding.version} is waiting for DeleteAndPromote.`);

  const plan = planDeployment({
    incoming: { uniqueName: manifest.uniqueName, version: manifest.version, managed },
    installed: installed ? { version: installed.version, managed: installed.ismanaged } : undefined,
    holding: holding ? { version: holding.version } : undefined,
    mode: options.mode ?? 'auto',
    autoUpgradeMethod: options.autoUpgradeMethod ?? 'upgrade',
    allowSameVersion: options.allowSameVersion ?? false,
    skipLowerVersion: options.skipLowerVersion ?? false,
    allowUnmanaged: options.allowUnmanaged ?? false,
    environment: client.environmentUrl,
  });
  const prepared = settings ? await prepareDeploymentSettings(client, settings, contents, { signal }) : undefined;
  if (settingsFile && prepared) {
    reporter.info(`Deployment settings ${settingsFile}: ${prepared.connectionReferences.length} connection reference(s) and ` +
      `${prepared.environmentVariables.length} environment variable value(s) to set.`);
  }

  const problems = [...plan.problems, ...(prepared?.problems ?? [])];
  if (problems.length > 0) {
    throw new UserError(`Deployment of ${manifest.uniqueName} ${manifest.version} to ${client.environmentUrl} stopped before importing ` +
      `(nothing was imported): ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  - ${problems.join('\n  - ')}`);
  }
  for (const warning of prepared?.warnings ?? []) reporter.warn(warning);
  if (plan.reason) reporter.info(`Plan: ${plan.reason}`);
  return { contents, managed, installed, step: plan.step, skipReason: plan.skipReason, settings: prepared };
}

async function readSolutionFile(file: string): Promise<SolutionContents> {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new UserError(`Solution file '${file}' does not exist.`, 'Point solutionFile at the managed zip the build produced (e.g. from a pipeline artifact).');
  }
  try {
    return await readSolutionZip(file);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const error = new UserError(`Cannot read the solution file '${file}': ${(err as Error).message}`,
      'Give a solution zip as exported by Dataverse or packed by DataversePackSolution.');
    error.cause = err;
    throw error;
  }
}

/**
 * DeleteAndPromote, and the components it deleted (the base solution's components before and after, from the
 * component summary: DeleteAndPromote does not list them).
 */
async function promote(client: DataverseClient, name: string, toVersion: string, holdingImportJobId: string | undefined,
  operation: SolutionOperationOptions, reporter: Reporter, warn: (text: string) => void): Promise<DeletedComponent[]> {
  const before = await componentsOf(client, name, operation.signal);
  try {
    const promoted = await deleteAndPromote(client, name, { ...operation, onProgress: progressTo(reporter, 70, 92) });
    reporter.info(`${name} is now ${promoted.solution?.version ?? toVersion} (was ${promoted.previousVersion ?? 'unknown'}).`);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const error = new UserError(`${err.message}\nThe holding solution ${name}_Upgrade ${toVersion} ` +
      `${holdingImportJobId ? `was imported (import job ${holdingImportJobId}) and ` : ''}is still waiting.`,
    'Run the deployment again with the same file: it applies the waiting holding solution without importing it again.');
    error.cause = err;
    throw error;
  }
  const after = await componentsOf(client, name, operation.signal);
  if (!before || !after) {
    warn(`The components deleted by the upgrade of ${name} could not be listed (the solution component summary was not readable).`);
    return [];
  }
  const key = (c: SolutionComponentSummary) => `${c.componentType ?? c.componentTypeName}|${(c.schemaName ?? c.objectId ?? '').toLowerCase()}`;
  const remaining = new Set(after.map(key));
  return before.filter((c) => !remaining.has(key(c)))
    .map((c) => ({ type: c.componentType !== null && c.componentType !== undefined ? String(c.componentType) : c.componentTypeName ?? undefined,
      schemaName: c.schemaName ?? undefined, id: c.objectId ?? undefined }));
}

/** The installed solution's components, or undefined when they cannot be read (best effort: only used to report). */
async function componentsOf(client: DataverseClient, name: string, signal: AbortSignal | undefined): Promise<SolutionComponentSummary[] | undefined> {
  try {
    const solution = await getSolution(client, name, { signal });
    return solution ? await listSolutionComponents(client, solution.solutionid, { signal }) : undefined;
  } catch (err) {
    if (signal?.aborted || !(err instanceof UserError)) throw err;
    return undefined;
  }
}

/** Maps a server operation's progress into [from, to] of the task's progress bar (never moving back). */
function progressTo(reporter: Reporter, from: number, to: number): (progress: OperationProgress) => void {
  let last = '';
  let highest = from;
  return (progress) => {
    highest = Math.max(highest, Math.round(from + ((to - from) * Math.min(100, Math.max(0, progress.percent ?? 0))) / 100));
    const text = `${progress.operation}: ${progress.status}${progress.percent !== undefined ? ` (${Math.round(progress.percent)} %)` : ''}`;
    if (text === last) return;
    last = text;
    reporter.progress(highest, text);
  };
}

function summarize(result: DeploySolutionResult, pre: Preflight, client: DataverseClient, published: boolean, reporter: Reporter): void {
  const applied = result.action !== 'skipped' && result.step !== 'promote';
  reporter.addSummary(`Deploy ${result.solutionName}`, deploymentSummary({
    ...result,
    environment: client.environmentUrl,
    connectionReferences: applied ? pre.settings?.connectionReferences ?? [] : [],
    environmentVariables: applied ? pre.settings?.environmentVariables ?? [] : [],
    published,
  }));
}
