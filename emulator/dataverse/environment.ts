/**
 * One emulated Dataverse environment: its solutions and the tables around them, the solution-operation
 * lock, and the timed jobs (async operations, import jobs) that carry out imports, upgrades, exports and
 * publishes. Solution files live in this environment's folder on disk, never in memory.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentDescriptor, Identity } from '../core/contracts';
import { DataverseEnvironmentSeed } from './environmentSeed';
import { LOCK_ERROR_CODE, lockMessage, ODataFailure, recordNotFound, solutionNotFound } from './errors';
import { writeExportZip } from './exportZip';
import { importJobData, type ImportOutcome } from './importLog';
import {
  containsComponent, type EnvironmentView, evaluateMissingDependencies, type ImportOptions, type ImportPlan, outcomeOf, planImport,
} from './importRules';
import type { ComponentRef, MissingDependency, SolutionPackage } from './model';
import {
  type AsyncOperationRecord, type ConnectionRecord, type ConnectionReferenceRecord, type EnvVarDefinitionRecord, type EnvVarValueRecord,
  errorCodeNumber, type ImportJobRecord, type PublisherRecord, type SolutionHistoryRecord, type SolutionRecord, type WorkflowRecord,
} from './records';
import { InvalidSolutionFileError, readSolutionPackage } from './solutionPackage';
import { parseVersion } from './version';

/** Names the lock error uses for the operation holding or requesting the lock. */
export type LockName = 'Import' | 'Export' | 'PublishAll' | 'Uninstall' | 'Upgrade';

interface RunningOperation {
  name: LockName;
  endsAt: number;
}

export interface ImportStart {
  filePath: string;
  fileSize: number;
  importJobId: string;
  options: ImportOptions;
  /** Message name for the async operation (ImportSolutionAsync, StageAndUpgradeAsync), or undefined for sync calls. */
  asyncMessage?: string;
}

export interface StartedOperation {
  asyncOperationId?: string;
  /** Resolves when the operation has finished (successfully or not). */
  done: Promise<{ ok: boolean; code: string; message: string }>;
}

export interface SolutionEdit {
  version?: string;
  addComponents?: { type: string | number; schemaName?: string; id?: string }[];
  removeComponents?: { type: string | number; schemaName?: string; id?: string }[];
}

export interface StagedUpload {
  id: string;
  filePath: string;
  fileSize: number;
  pkg: SolutionPackage;
}

const MICROSOFT_PUBLISHER: PublisherRecord = {
  publisherid: 'd21aab71-79e7-11dd-8874-00188b01e34f', uniquename: 'MicrosoftCorporation', friendlyname: 'MicrosoftCorporation',
  customizationprefix: '', customizationoptionvalueprefix: 0,
};

const OPERATION_TYPE_EXECUTE_ASYNC_REQUEST = 54;

export class DataverseEnvironment implements EnvironmentView {
  readonly solutionsByName = new Map<string, SolutionRecord>();
  readonly publishers = new Map<string, PublisherRecord>([[MICROSOFT_PUBLISHER.uniquename.toLowerCase(), MICROSOFT_PUBLISHER]]);
  readonly asyncOperations = new Map<string, AsyncOperationRecord>();
  readonly importJobs = new Map<string, ImportJobRecord>();
  readonly connections = new Map<string, ConnectionRecord>();
  readonly connectionReferences = new Map<string, ConnectionReferenceRecord>();
  readonly envVarDefinitions = new Map<string, EnvVarDefinitionRecord>();
  readonly envVarValues = new Map<string, EnvVarValueRecord>();
  readonly workflows = new Map<string, WorkflowRecord>();
  readonly histories: SolutionHistoryRecord[] = [];
  readonly stagedUploads = new Map<string, StagedUpload>();
  readonly exportJobs = new Map<string, { filePath?: string; failure?: string }>();
  readonly unmanaged: ComponentRef[] = [];
  private running?: RunningOperation;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(readonly descriptor: EnvironmentDescriptor, readonly config: DataverseEnvironmentSeed, readonly folder: string) {}

  async initialise(): Promise<void> {
    await fs.promises.mkdir(this.folder, { recursive: true });
    const installedOn = new Date(Date.now() - 30 * 86400_000);
    for (const fp of this.config.firstPartySolutions) {
      this.solutionsByName.set(fp.uniqueName.toLowerCase(), {
        solutionid: randomUUID(), uniqueName: fp.uniqueName, friendlyName: fp.friendlyName ?? fp.uniqueName, description: '',
        version: fp.version, managed: !['active', 'basic'].includes(fp.uniqueName.toLowerCase()), isVisible: !['active', 'basic', 'system'].includes(fp.uniqueName.toLowerCase()),
        publisher: MICROSOFT_PUBLISHER, components: [], componentsKnown: false, firstParty: true, missingDependencies: [],
        installedOn, createdOn: installedOn, modifiedOn: installedOn, lastUpgradeDeleted: [], edits: { added: [], removed: [] },
      });
    }
    for (const c of this.config.connections) {
      this.connections.set(c.id.toLowerCase(), { connectionid: c.id, connectorid: c.connectorId, displayname: c.displayName, owner: c.owner, sharedWith: c.sharedWith });
    }
    this.unmanaged.push(...this.config.unmanagedComponents);
    for (const seeded of this.config.solutions) await this.installSeedZip(seeded.zip);
  }

  private async installSeedZip(zipPath: string): Promise<void> {
    const copy = path.join(this.folder, `seed-${randomUUID()}.zip`);
    await fs.promises.copyFile(zipPath, copy);
    let pkg: SolutionPackage;
    try {
      pkg = await readSolutionPackage(copy);
    } catch (err) {
      throw new Error(`Seed: environment '${this.descriptor.name}': ${zipPath} is not a solution zip: ${(err as Error).message}`, { cause: err });
    }
    const plan = planImport(pkg, this.seedImportOptions(), this);
    if (plan.failed) throw new Error(`Seed: environment '${this.descriptor.name}': ${zipPath} cannot be installed: ${plan.errorText}`);
    this.applyPlan(pkg, plan, copy, true);
  }

  private seedImportOptions(): ImportOptions {
    return {
      holdingSolution: false, stageAndUpgrade: false, overwriteUnmanagedCustomizations: true, publishWorkflows: true, componentParameters: [],
      identity: { tenantId: this.descriptor.tenantId, appId: 'seed', objectId: 'seed', kind: 'app' },
    };
  }

  // ---- EnvironmentView -------------------------------------------------------------------------------
  solution(uniqueName: string): SolutionRecord | undefined {
    return this.solutionsByName.get(uniqueName.toLowerCase());
  }

  solutions(): SolutionRecord[] {
    return [...this.solutionsByName.values()];
  }

  unmanagedComponents(): ComponentRef[] {
    return this.unmanaged;
  }

  systemComponents(): ComponentRef[] {
    return this.config.systemTables.map((schemaName) => ({ type: '1', schemaName }));
  }

  connection(id: string): ConnectionRecord | undefined {
    return this.connections.get(id.toLowerCase());
  }

  boundConnection(logicalName: string): string | null | undefined {
    return this.connectionReferences.get(logicalName.toLowerCase())?.connectionid;
  }

  /** Whether a component exists in the environment (unmanaged customizations or a solution with known components). */
  componentExists(c: ComponentRef): boolean {
    return containsComponent(this.unmanaged, c) || this.solutions().some((s) => s.componentsKnown && containsComponent(s.components, c));
  }

  envVarDefinitionType(schemaName: string): number | undefined {
    return this.envVarDefinitions.get(schemaName.toLowerCase())?.type;
  }

  // ---- lock and timing -------------------------------------------------------------------------------
  durationMs(bytes: number): number {
    return Math.round(this.config.timeScale * (2000 + (bytes / (1024 * 1024)) * 1000));
  }

  /** Answers the lock error (429 + Retry-After) when another solution operation is running. */
  ensureLockFree(name: LockName): void {
    if (this.running) {
      const retryAfter = Math.max(1, Math.ceil((this.running.endsAt - Date.now()) / 1000));
      throw new ODataFailure(429, LOCK_ERROR_CODE, lockMessage(name, this.running.name), { 'Retry-After': String(retryAfter) });
    }
  }

  /** Takes the solution-operation lock (or throws the lock error); the returned function gives it back. */
  acquireLock(name: LockName, durationMs: number): () => void {
    this.ensureLockFree(name);
    const op: RunningOperation = { name, endsAt: Date.now() + durationMs };
    this.running = op;
    return () => { if (this.running === op) this.running = undefined; };
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => { this.timers.delete(timer); if (!this.closed) fn(); }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private newAsyncOperation(name: string, messageName: string, identity: Identity): AsyncOperationRecord {
    const now = new Date();
    const record: AsyncOperationRecord = {
      asyncoperationid: randomUUID(), name, messagename: messageName, operationtype: OPERATION_TYPE_EXECUTE_ASYNC_REQUEST,
      statecode: 0, statuscode: 0, createdon: now, modifiedon: now, message: null, friendlymessage: null, errorcode: null,
      ownerId: identity.objectId, correlationid: randomUUID(), dependencytoken: `SolutionOperation_{${this.descriptor.organizationId}}`,
      businessUnitId: this.descriptor.businessUnitId,
    };
    this.asyncOperations.set(record.asyncoperationid, record);
    return record;
  }

  /**
   * Runs a solution operation of `durationMs` whose lock the caller has just taken (`release` gives it back):
   * async operation (when asked for) 0/0 → 2/20 → 3/30|31, `finish` run at the end (it applies the change and
   * reports success or failure), then the lock is released.
   */
  private runOperation(release: () => void, durationMs: number, asyncOp: AsyncOperationRecord | undefined,
    finish: () => Promise<{ ok: boolean; code: string; message: string }>): Promise<{ ok: boolean; code: string; message: string }> {
    return new Promise((resolve) => {
      this.later(Math.round(durationMs * 0.1), () => {
        if (asyncOp) Object.assign(asyncOp, { statecode: 2, statuscode: 20, startedon: new Date(), modifiedon: new Date() });
      });
      this.later(durationMs, () => {
        finish().catch((err: unknown) => ({ ok: false, code: '0x80040216', message: `Unexpected emulator error: ${(err as Error).message}` }))
          .then((result) => {
            release();
            if (asyncOp) {
              const now = new Date();
              Object.assign(asyncOp, {
                statecode: 3, statuscode: result.ok ? 30 : 31, completedon: now, modifiedon: now,
                startedon: asyncOp.startedon ?? now,
                message: result.ok ? null : result.message, friendlymessage: result.ok ? null : result.message,
                errorcode: result.ok ? null : errorCodeNumber(result.code),
              });
            }
            resolve(result);
          });
      });
    });
  }

  // ---- imports ---------------------------------------------------------------------------------------
  /** Validates the file synchronously enough to fail fast on a non-solution, then runs the import as a job. */
  async startImport(start: ImportStart): Promise<StartedOperation> {
    if (this.importJobs.has(start.importJobId)) {
      throw new ODataFailure(400, '0x80040237', `An import job with id ${start.importJobId} already exists. Use a new ImportJobId for every import.`);
    }
    const durationMs = this.durationMs(start.fileSize);
    const release = this.acquireLock('Import', durationMs);
    let pkg: SolutionPackage | undefined;
    let invalid: InvalidSolutionFileError | undefined;
    try {
      pkg = await readSolutionPackage(start.filePath);
    } catch (err) {
      if (!(err instanceof InvalidSolutionFileError)) throw err;
      invalid = err;
    } finally {
      release();
    }
    const now = new Date();
    const manifest = pkg?.manifest ?? {
      uniqueName: '', friendlyName: '', description: '', version: '0.0.0.0', managed: false,
      publisher: { uniqueName: '', friendlyName: '', customizationPrefix: '', optionValuePrefix: 0 }, rootComponents: [], missingDependencies: [],
    };
    const plan: ImportPlan | undefined = pkg ? planImport(pkg, start.options, this) : undefined;
    const outcome: ImportOutcome = pkg && plan ? outcomeOf(pkg, plan, now) : {
      manifest, result: 'failure', errorCode: invalid?.code ?? '0x80048060', errorText: invalid?.message ?? 'invalid file',
      missing: [], components: [], deleted: [], start: now, progress: 0,
    };
    const releaseImport = this.acquireLock('Import', durationMs);
    const asyncOp = start.asyncMessage
      ? this.newAsyncOperation(start.asyncMessage === 'StageAndUpgradeAsync' ? 'StageAndUpgrade' : 'ImportSolution', start.asyncMessage, start.options.identity)
      : undefined;
    const job: ImportJobRecord = {
      importjobid: start.importJobId, name: 'Customizations', solutionname: manifest.uniqueName,
      solutionid: this.solution(manifest.uniqueName)?.solutionid,
      importcontext: !plan ? 'ImportInstall' : plan.mode === 'holding' ? 'ImportHolding' : plan.mode === 'upgrade' ? 'ImportUpgrade' : plan.mode === 'update' ? 'ImportUpdate' : 'ImportInstall',
      operationcontext: start.asyncMessage ?? (start.options.stageAndUpgrade ? 'StageAndUpgrade' : 'ImportSolution'),
      createdon: now, startedon: now, modifiedon: now, createdBy: start.options.identity.objectId, durationMs, outcome,
    };
    this.importJobs.set(job.importjobid, job);
    const history = this.startHistory(manifest.uniqueName, manifest.version, manifest.managed, 0,
      !plan ? 1 : plan.mode === 'install' ? 1 : plan.mode === 'update' ? 3 : 2, start.options.overwriteUnmanagedCustomizations, job.importjobid);
    const done = this.runOperation(releaseImport, durationMs, asyncOp, async () => {
      const stop = new Date();
      if (pkg && plan && !plan.failed) {
        const record = this.applyPlan(pkg, plan, start.filePath, false);
        job.solutionid = record.solutionid;
      } else {
        await fs.promises.rm(start.filePath, { force: true });
      }
      Object.assign(outcome, { stop, progress: 100 });
      Object.assign(job, { completedon: stop, modifiedon: stop });
      this.endHistory(history, outcome.result !== 'failure', outcome.errorText, outcome.errorCode);
      return outcome.result === 'failure'
        ? { ok: false, code: outcome.errorCode, message: outcome.errorText }
        : { ok: true, code: '0', message: '' };
    });
    return { asyncOperationId: asyncOp?.asyncoperationid, done };
  }

  importJobProgress(job: ImportJobRecord): number {
    if (job.completedon) return 100;
    if (job.durationMs <= 0) return 0;
    const fraction = (Date.now() - job.startedon.getTime()) / job.durationMs;
    return Math.max(0, Math.min(99, Math.round(fraction * 10000) / 100));
  }

  importJobDataXml(job: ImportJobRecord): string {
    return importJobData({ ...job.outcome, progress: this.importJobProgress(job) });
  }

  private upsertPublisher(pkg: SolutionPackage): PublisherRecord {
    const p = pkg.manifest.publisher;
    const key = p.uniqueName.toLowerCase();
    const existing = this.publishers.get(key);
    if (existing) return existing;
    const record: PublisherRecord = {
      publisherid: randomUUID(), uniquename: p.uniqueName, friendlyname: p.friendlyName,
      customizationprefix: p.customizationPrefix, customizationoptionvalueprefix: p.optionValuePrefix,
    };
    this.publishers.set(key, record);
    return record;
  }

  /** Applies a successful import plan; takes ownership of `filePath` (stored as the solution's content). */
  private applyPlan(pkg: SolutionPackage, plan: ImportPlan, filePath: string, seeded: boolean): SolutionRecord {
    const m = pkg.manifest;
    const now = new Date();
    const existing = this.solution(plan.targetName);
    const components = plan.mode === 'update' && existing
      ? [...existing.components, ...pkg.components.filter((c) => !containsComponent(existing.components, c))]
      : [...pkg.components];
    if (existing?.contentPath && existing.contentPath !== filePath) fs.rm(existing.contentPath, { force: true }, () => undefined);
    const record: SolutionRecord = {
      solutionid: existing?.solutionid ?? randomUUID(), uniqueName: plan.targetName, friendlyName: m.friendlyName, description: m.description,
      version: m.version, managed: m.managed, isVisible: true, publisher: this.upsertPublisher(pkg), components, componentsKnown: true,
      firstParty: false, contentPath: filePath, package: pkg, missingDependencies: m.missingDependencies,
      installedOn: existing?.installedOn ?? now, createdOn: existing?.createdOn ?? now, modifiedOn: now,
      upgradesSolution: plan.mode === 'holding' ? m.uniqueName : undefined, lastUpgradeDeleted: plan.deleted, edits: { added: [], removed: [] },
    };
    this.solutionsByName.set(plan.targetName.toLowerCase(), record);
    if (!m.managed) {
      for (const c of pkg.components) if (!containsComponent(this.unmanaged, c)) this.unmanaged.push(c);
    }
    if (plan.mode === 'upgrade') this.removeComponentRecords(m.uniqueName, plan.deleted);
    this.applyTables(pkg, plan, now, seeded);
    return record;
  }

  private applyTables(pkg: SolutionPackage, plan: ImportPlan, now: Date, seeded: boolean): void {
    const owner = pkg.manifest.uniqueName;
    for (const cr of pkg.connectionReferences) {
      const key = cr.logicalName.toLowerCase();
      const existing = this.connectionReferences.get(key);
      this.connectionReferences.set(key, {
        connectionreferenceid: existing?.connectionreferenceid ?? randomUUID(), connectionreferencelogicalname: cr.logicalName,
        connectionreferencedisplayname: cr.displayName, connectorid: cr.connectorId,
        connectionid: plan.connectionIds.get(key) ?? existing?.connectionid ?? null, description: cr.description, solution: owner,
        createdon: existing?.createdon ?? now, modifiedon: now,
      });
    }
    for (const def of pkg.envVarDefinitions) {
      const key = def.schemaName.toLowerCase();
      const existing = this.envVarDefinitions.get(key);
      this.envVarDefinitions.set(key, {
        environmentvariabledefinitionid: existing?.environmentvariabledefinitionid ?? randomUUID(), schemaname: def.schemaName,
        displayname: def.displayName, description: def.description, type: def.type, defaultvalue: def.defaultValue, isrequired: def.isRequired, solution: owner,
      });
    }
    const values = new Map<string, { value: string; id?: string }>();
    for (const v of pkg.envVarValues) values.set(v.schemaName.toLowerCase(), { value: v.value, id: v.id });
    for (const [k, v] of plan.envVarValues) values.set(k, v);
    for (const [key, v] of values) {
      const definition = this.envVarDefinitions.get(key);
      if (!definition) continue;
      const existing = this.envVarValues.get(key);
      this.envVarValues.set(key, {
        environmentvariablevalueid: existing?.environmentvariablevalueid ?? v.id ?? randomUUID(), schemaname: definition.schemaname,
        value: v.value, definitionId: definition.environmentvariabledefinitionid, solution: owner,
      });
    }
    for (const flow of pkg.flows) {
      const existing = this.workflows.get(flow.workflowId);
      const on = seeded ? flow.requestedState === 1 && !plan.leftOff.has(flow.workflowId) : plan.activate.has(flow.workflowId)
        || (!plan.leftOff.has(flow.workflowId) && existing?.statecode === 1);
      this.workflows.set(flow.workflowId, {
        ...flow, statecode: on ? 1 : 0, statuscode: on ? 2 : 1, solution: owner, createdon: existing?.createdon ?? now, modifiedon: now,
      });
    }
  }

  /** Removes the table rows behind components an upgrade or uninstall deletes. */
  private removeComponentRecords(solution: string, deleted: ComponentRef[]): void {
    const gone = (type: string, name: string) => containsComponent(deleted, { type, schemaName: name }) || containsComponent(deleted, { type, id: name });
    for (const [id, wf] of this.workflows) if (wf.solution === solution && (gone('29', wf.workflowId) || gone('29', wf.name))) this.workflows.delete(id);
    for (const [key, cr] of this.connectionReferences) if (cr.solution === solution && gone('connectionreference', cr.connectionreferencelogicalname)) this.connectionReferences.delete(key);
    for (const [key, def] of this.envVarDefinitions) {
      if (def.solution === solution && gone('380', def.schemaname)) {
        this.envVarDefinitions.delete(key);
        this.envVarValues.delete(key);
      }
    }
  }

  // ---- StageSolution ---------------------------------------------------------------------------------
  async stage(filePath: string, fileSize: number): Promise<{ upload: StagedUpload; missing: MissingDependency[] }> {
    let pkg: SolutionPackage;
    try {
      pkg = await readSolutionPackage(filePath);
    } catch (err) {
      await fs.promises.rm(filePath, { force: true });
      if (err instanceof InvalidSolutionFileError) throw new ODataFailure(400, err.code, err.message);
      throw err;
    }
    const upload: StagedUpload = { id: randomUUID(), filePath, fileSize, pkg };
    this.stagedUploads.set(upload.id, upload);
    return { upload, missing: evaluateMissingDependencies(pkg, this) };
  }

  /** Takes a staged upload (StageSolutionUploadId) as the file of an import; the staged copy is used once. */
  takeStagedUpload(id: string): StagedUpload {
    const upload = this.stagedUploads.get(id.toLowerCase()) ?? this.stagedUploads.get(id);
    if (!upload) throw new ODataFailure(404, '0x80040217', `stagesolutionupload With Id = ${id} Does Not Exist`);
    this.stagedUploads.delete(upload.id);
    return upload;
  }

  // ---- DeleteAndPromote ------------------------------------------------------------------------------
  startDeleteAndPromote(uniqueName: string, identity: Identity, asyncMessage?: string): StartedOperation & { solutionId: string } {
    const base = this.solution(uniqueName);
    const holding = this.solution(`${uniqueName}_Upgrade`);
    if (!base) throw solutionNotFound(uniqueName);
    if (!holding || holding.upgradesSolution?.toLowerCase() !== base.uniqueName.toLowerCase()) {
      throw new ODataFailure(400, '0x8004f012',
        `Cannot apply the upgrade of '${uniqueName}': there is no holding solution '${uniqueName}_Upgrade'. ` +
        'Import the new version with HoldingSolution=true first (or use StageAndUpgrade).');
    }
    const release = this.acquireLock('Upgrade', this.durationMs(0));
    const asyncOp = asyncMessage ? this.newAsyncOperation('DeleteAndPromote', asyncMessage, identity) : undefined;
    const history = this.startHistory(base.uniqueName, holding.version, true, 0, 2, false, randomUUID());
    const done = this.runOperation(release, this.durationMs(0), asyncOp, async () => {
      const deleted = base.components.filter((c) => !containsComponent(holding.components, c));
      this.removeComponentRecords(base.uniqueName, deleted);
      if (base.contentPath) await fs.promises.rm(base.contentPath, { force: true });
      this.solutionsByName.delete(holding.uniqueName.toLowerCase());
      this.solutionsByName.set(base.uniqueName.toLowerCase(), {
        ...holding, uniqueName: base.uniqueName, upgradesSolution: undefined, installedOn: base.installedOn,
        modifiedOn: new Date(), lastUpgradeDeleted: deleted,
      });
      this.endHistory(history, true, '', '0');
      return { ok: true, code: '0', message: '' };
    });
    return { asyncOperationId: asyncOp?.asyncoperationid, done, solutionId: holding.solutionid };
  }

  // ---- PublishAllXml ---------------------------------------------------------------------------------
  startPublishAll(identity: Identity, asyncMessage?: string): StartedOperation {
    const durationMs = Math.round(this.durationMs(0) / 2);
    const release = this.acquireLock('PublishAll', durationMs);
    const asyncOp = asyncMessage ? this.newAsyncOperation('PublishAll', asyncMessage, identity) : undefined;
    const history = this.startHistory('PublishAll', '', false, 4, 0, false, randomUUID());
    const done = this.runOperation(release, durationMs, asyncOp, async () => {
      this.endHistory(history, true, '', '0');
      return { ok: true, code: '0', message: '' };
    });
    return { asyncOperationId: asyncOp?.asyncoperationid, done };
  }

  // ---- export ----------------------------------------------------------------------------------------
  exportableSolution(uniqueName: string): SolutionRecord {
    const record = this.solution(uniqueName);
    if (!record || record.upgradesSolution) throw solutionNotFound(uniqueName);
    if (record.firstParty || !record.contentPath) {
      throw new ODataFailure(400, '0x80048051', `The solution '${uniqueName}' is a system solution and cannot be exported.`);
    }
    if (record.managed) {
      throw new ODataFailure(400, '0x80048051', `The solution '${uniqueName}' is managed and cannot be exported. Only unmanaged solutions can be exported.`);
    }
    return record;
  }

  async exportToFile(record: SolutionRecord, managed: boolean): Promise<{ filePath: string; size: number }> {
    const filePath = path.join(this.folder, `export-${randomUUID()}.zip`);
    const size = await writeExportZip({ sourceZip: record.contentPath as string, outPath: filePath, version: record.version, managed, edits: record.edits });
    this.recordHistory(record.uniqueName, record.version, managed, 2);
    return { filePath, size };
  }

  startExportAsync(record: SolutionRecord, managed: boolean, identity: Identity): StartedOperation & { exportJobId: string } {
    const durationMs = this.durationMs(fs.statSync(record.contentPath as string).size);
    const release = this.acquireLock('Export', durationMs);
    const exportJobId = randomUUID();
    const job: { filePath?: string; failure?: string } = {};
    this.exportJobs.set(exportJobId, job);
    const asyncOp = this.newAsyncOperation('ExportSolution', 'ExportSolutionAsync', identity);
    const done = this.runOperation(release, durationMs, asyncOp, async () => {
      try {
        job.filePath = (await this.exportToFile(record, managed)).filePath;
        return { ok: true, code: '0', message: '' };
      } catch (err) {
        job.failure = (err as Error).message;
        return { ok: false, code: '0x80048051', message: `The export of solution ${record.uniqueName} failed: ${job.failure}` };
      }
    });
    return { asyncOperationId: asyncOp.asyncoperationid, done, exportJobId };
  }

  // ---- a maker's edits (control API) -------------------------------------------------------------------
  /**
   * Simulates a maker working on an unmanaged solution: adds components (they become unmanaged customizations
   * too), removes components from the solution (they stay in the environment, as in Dataverse), sets the
   * version. The next export carries the changes.
   */
  editUnmanagedSolution(uniqueName: string, edit: SolutionEdit): SolutionRecord {
    const record = this.solution(uniqueName);
    if (!record || record.upgradesSolution) throw solutionNotFound(uniqueName);
    if (record.managed || record.firstParty) {
      throw new ODataFailure(400, '0x80048051', `The solution '${uniqueName}' is managed; only unmanaged solutions can be edited.`);
    }
    if (edit.version !== undefined && !parseVersion(edit.version)) {
      throw new ODataFailure(400, '0x80040203', `'${edit.version}' is not a solution version: use two to four numbers, e.g. 1.2.0.0.`);
    }
    for (const raw of edit.addComponents ?? []) {
      const c: ComponentRef = { type: String(raw.type).toLowerCase(), schemaName: raw.schemaName, id: raw.id };
      if (!containsComponent(record.components, c)) record.components.push(c);
      if (!containsComponent(this.unmanaged, c)) this.unmanaged.push(c);
      record.edits.removed = record.edits.removed.filter((x) => !containsComponent([c], x));
      record.edits.added.push(c);
    }
    for (const raw of edit.removeComponents ?? []) {
      const c: ComponentRef = { type: String(raw.type).toLowerCase(), schemaName: raw.schemaName, id: raw.id };
      if (!containsComponent(record.components, c)) {
        throw new ODataFailure(404, '0x80040217', `The solution '${uniqueName}' has no component of type ${c.type} named '${c.schemaName ?? c.id}'.`);
      }
      record.components = record.components.filter((x) => !containsComponent([c], x));
      record.edits.added = record.edits.added.filter((x) => !containsComponent([c], x));
      record.edits.removed.push(c);
    }
    if (edit.version !== undefined) record.version = edit.version;
    record.modifiedOn = new Date();
    return record;
  }

  // ---- delete ----------------------------------------------------------------------------------------
  deleteSolution(solutionId: string): void {
    const record = this.solutions().find((s) => s.solutionid.toLowerCase() === solutionId.toLowerCase());
    if (!record) throw recordNotFound('solution', solutionId);
    if (record.firstParty) {
      throw new ODataFailure(400, '0x8004f01a', `The solution '${record.uniqueName}' is a system solution and cannot be deleted.`);
    }
    if (this.solution(`${record.uniqueName}_Upgrade`)) {
      throw new ODataFailure(400, '0x8004f01b',
        `The solution '${record.uniqueName}' has a pending upgrade (${record.uniqueName}_Upgrade). Delete the holding solution or apply the upgrade first.`);
    }
    const dependents = this.solutions().filter((s) => s !== record && s.missingDependencies.some((md) =>
      (md.required.solution ?? '').toLowerCase().startsWith(`${record.uniqueName.toLowerCase()} (`)));
    if (dependents.length > 0) {
      throw new ODataFailure(400, '0x8004f01f',
        `The solution '${record.uniqueName}' cannot be uninstalled because solution(s) ${dependents.map((d) => d.uniqueName).join(', ')} depend on it.`);
    }
    const release = this.acquireLock('Uninstall', 0);
    try {
      this.solutionsByName.delete(record.uniqueName.toLowerCase());
      if (record.managed && !record.upgradesSolution) this.removeComponentRecords(record.uniqueName, record.components);
      if (record.contentPath) fs.rm(record.contentPath, { force: true }, () => undefined);
      this.recordHistory(record.uniqueName, record.version, record.managed, 1, 4);
    } finally {
      release();
    }
  }

  // ---- solution history ------------------------------------------------------------------------------
  private startHistory(name: string, version: string, managed: boolean, operation: number, suboperation: number, overwrite: boolean, activityId: string): SolutionHistoryRecord {
    const record: SolutionHistoryRecord = {
      msdyn_solutionhistoryid: randomUUID(), msdyn_name: name, msdyn_solutionversion: version, msdyn_operation: operation,
      msdyn_suboperation: suboperation, msdyn_status: 0, msdyn_result: null, msdyn_ismanaged: managed, msdyn_isoverwritecustomizations: overwrite,
      msdyn_starttime: new Date(), msdyn_endtime: null, msdyn_exceptionmessage: null, msdyn_errorcode: null,
      msdyn_publishername: this.solution(name)?.publisher.uniquename ?? '', msdyn_solutionid: this.solution(name)?.solutionid ?? null,
      msdyn_activityid: activityId,
    };
    this.histories.push(record);
    return record;
  }

  private endHistory(record: SolutionHistoryRecord, ok: boolean, message: string, code: string): void {
    Object.assign(record, {
      msdyn_status: 1, msdyn_result: ok, msdyn_endtime: new Date(), msdyn_exceptionmessage: ok ? null : message,
      msdyn_errorcode: ok ? null : errorCodeNumber(code), msdyn_solutionid: this.solution(record.msdyn_name)?.solutionid ?? record.msdyn_solutionid,
    });
  }

  private recordHistory(name: string, version: string, managed: boolean, operation: number, suboperation = 0): void {
    this.endHistory(this.startHistory(name, version, managed, operation, suboperation, false, randomUUID()), true, '', '0');
  }
}
