/**
 * deploySolution against the in-process emulator: install, update, upgrade (one step and through a holding
 * solution), resuming a waiting holding solution, skips, refusals before any import, deployment settings
 * applied to the environment, and import failures.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../../../emulator';
import { createTokenProvider } from '../../../../shared/auth';
import { UserError } from '../../../../shared/core';
import { DataverseClient, importSolution, SolutionImportError } from '../../../../shared/dataverse';
import { createHttpClient, type ClosableHttpClient } from '../../../../shared/http';
import { deploySolution, type DeploySolutionOptions } from '../../../../shared/operations/deploySolution';
import { createRecordingReporter, type RecordingReporter } from '../../../../shared/operations/reporter';
import { fakeGuid, writeSolutionZip, type FixtureSolution } from '../../../emulator/fixtures/solutionZip';

const POLL = { pollIntervalMs: 10, maxPollIntervalMs: 50 };
const SHAREPOINT = '/providers/Microsoft.PowerApps/apis/shared_sharepointonline';
const OFFICE = '/providers/Microsoft.PowerApps/apis/shared_office365';
const FLOW_ID = fakeGuid('cts notify flow');
const SOLUTION_ACTIONS = /\/(ImportSolution|ImportSolutionAsync|StageSolution|StageAndUpgrade|StageAndUpgradeAsync|DeleteAndPromote|DeleteAndPromoteAsync)$/;

const core = (version: string, extra: Partial<FixtureSolution> = {}): FixtureSolution => ({
  uniqueName: 'ContosoCore',
  friendlyName: 'Contoso Core',
  version,
  managed: true,
  entities: ['cts_project'],
  webResources: ['cts_/scripts/a.js', 'cts_/scripts/b.js'],
  envVars: [
    { schemaName: 'cts_ApiUrl', defaultValue: 'https://default.example' },
    { schemaName: 'cts_Retries', type: 100000001, defaultValue: '3' },
  ],
  connectionReferences: [{ logicalName: 'cts_sharepoint', connectorId: SHAREPOINT }],
  flows: [{ id: FLOW_ID, name: 'Notify on new project', connectionReferences: ['cts_sharepoint'], state: 1 }],
  ...extra,
});

async function rejectsUserError(promise: Promise<unknown>, ...fragments: (string | RegExp)[]): Promise<UserError> {
  let caught: UserError | undefined;
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected UserError, got ${String(err)}`);
    for (const f of fragments) {
      if (typeof f === 'string') assert.ok(err.message.includes(f), `'${err.message}' should contain '${f}'`);
      else assert.match(err.message, f);
    }
    caught = err;
    return true;
  });
  return caught as UserError;
}

describe('operations deploySolution (emulator)', function () {
  this.timeout(60_000);
  let emulator: RunningEmulator;
  let http: ClosableHttpClient;
  let client: DataverseClient;
  let dir: string;
  let reporter: RecordingReporter;

  before(async () => {
    emulator = await startEmulator({
      port: 0,
      quiet: true,
      seed: {
        environments: [{
          name: 'test',
          timeScale: 0.01,
          connections: [
            { id: 'shared-sp-1', connectorId: SHAREPOINT, displayName: 'SharePoint (ci)', sharedWith: ['*'] },
            { id: 'shared-o365-1', connectorId: OFFICE, displayName: 'Office 365 (ci)', sharedWith: ['*'] },
          ],
        }],
      },
    });
    http = createHttpClient({ productVersion: '0.0.0-test', retry: { lockMinDelayMs: 20, lockMaxDelayMs: 100 } });
    const { info } = emulator;
    const tokenProvider = createTokenProvider({
      kind: 'clientSecret', authorityHost: info.authorityHost, tenantId: info.tenantId, clientId: info.clientId, clientSecret: info.clientSecret ?? '',
    }, { http });
    client = new DataverseClient({ environmentUrl: info.environments.test, tokenProvider, http });
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'dvalm-deploy-'));
  });
  after(async () => {
    http?.close();
    await emulator?.stop();
    if (dir) await fs.promises.rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    const response = await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    assert.equal(response.status, 200);
    reporter = createRecordingReporter();
  });

  async function zip(solution: FixtureSolution): Promise<string> {
    const file = path.join(dir, `${solution.uniqueName}_${solution.version.replace(/\./g, '_')}_${solution.managed ? 'managed' : 'unmanaged'}.zip`);
    await writeSolutionZip(solution, file);
    return file;
  }

  async function settingsFile(content: unknown, name = 'settings.json'): Promise<string> {
    const file = path.join(dir, name);
    await fs.promises.writeFile(file, JSON.stringify(content, null, 2));
    return file;
  }

  function deploy(solutionFile: string, extra: Partial<DeploySolutionOptions> = {}, rep: RecordingReporter = reporter) {
    return deploySolution({ solutionFile, poll: POLL, ...extra }, { client }, rep);
  }

  /** Seeds the environment with a version, without going through deploySolution, and clears the request log. */
  async function install(solution: FixtureSolution, holdingSolution = false): Promise<void> {
    await importSolution(client, { zipPath: await zip(solution), overwriteUnmanagedCustomizations: false, publishWorkflows: true, holdingSolution, poll: POLL });
    assert.equal((await fetch(`${emulator.url}/_emulator/requests`, { method: 'DELETE' })).status, 200);
  }

  async function solutionActionsSent(): Promise<string[]> {
    const response = await fetch(`${emulator.url}/_emulator/requests`);
    const log = await response.json() as Array<{ method: string; path: string }>;
    return log.filter((r) => r.method === 'POST' && SOLUTION_ACTIONS.test(r.path)).map((r) => r.path.split('/').pop() ?? '');
  }

  async function rows<T>(set: string, select: string, filter?: string): Promise<T[]> {
    const page = await client.get<{ value: T[] }>(set, { query: { $select: select, ...(filter ? { $filter: filter } : {}) } });
    return page.value;
  }

  async function installedVersion(): Promise<{ version: string; holding: boolean } | undefined> {
    const found = await rows<{ uniquename: string; version: string }>('solutions', 'uniquename,version', "uniquename eq 'ContosoCore' or uniquename eq 'ContosoCore_Upgrade'");
    const base = found.find((s) => s.uniquename === 'ContosoCore');
    return base ? { version: base.version, holding: found.some((s) => s.uniquename === 'ContosoCore_Upgrade') } : undefined;
  }

  async function webResources(): Promise<string[]> {
    const solution = (await rows<{ solutionid: string }>('solutions', 'solutionid', "uniquename eq 'ContosoCore'"))[0];
    const components = await rows<{ msdyn_componenttype: number; msdyn_schemaname: string }>('msdyn_solutioncomponentsummaries',
      'msdyn_componenttype,msdyn_schemaname', `msdyn_solutionid eq ${solution.solutionid}`);
    return components.filter((c) => c.msdyn_componenttype === 61).map((c) => c.msdyn_schemaname).sort();
  }

  it('installs a managed solution that is not installed, with progress, groups and a summary', async () => {
    const result = await deploy(await zip(core('1.0.0.0')));
    assert.equal(result.action, 'installed');
    assert.equal(result.step, 'install');
    assert.equal(result.solutionName, 'ContosoCore');
    assert.equal(result.fromVersion, undefined);
    assert.equal(result.toVersion, '1.0.0.0');
    assert.match(result.importJobId ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(result.durationMs >= 0);
    assert.deepEqual(await installedVersion(), { version: '1.0.0.0', holding: false });

    assert.ok(reporter.lines.includes('[group] Pre-flight checks'));
    assert.ok(reporter.lines.includes('[group] Import ContosoCore 1.0.0.0'));
    assert.ok(reporter.lines.some((l) => l.includes('ContosoCore is not installed in')));
    assert.equal(reporter.progressUpdates[0].percent, 0);
    assert.equal(reporter.progressUpdates.at(-1)?.percent, 100);
    assert.ok(reporter.progressUpdates.every((p, i, all) => i === 0 || p.percent >= all[i - 1].percent), 'progress never goes back');
    assert.equal(reporter.summaries.length, 1);
    assert.equal(reporter.summaries[0].title, 'Deploy ContosoCore');
    assert.match(reporter.summaries[0].markdown, /\| Result \| Installed 1\.0\.0\.0 \(new install\) \|/);
    assert.ok(reporter.summaries[0].markdown.includes(result.importJobId ?? '?'));
    assert.deepEqual(await solutionActionsSent(), ['StageSolution', 'ImportSolutionAsync']);
  });

  it('updates when asked (autoUpgradeMethod update): components are added, none removed', async () => {
    await install(core('1.0.0.0'));
    const result = await deploy(await zip(core('1.1.0.0', { webResources: ['cts_/scripts/a.js', 'cts_/scripts/c.js'] })), { autoUpgradeMethod: 'update' });
    assert.equal(result.action, 'updated');
    assert.equal(result.step, 'update');
    assert.equal(result.fromVersion, '1.0.0.0');
    assert.equal(result.toVersion, '1.1.0.0');
    assert.deepEqual(result.deletedComponents, []);
    assert.deepEqual(await webResources(), ['cts_/scripts/a.js', 'cts_/scripts/b.js', 'cts_/scripts/c.js']);
  });

  it('upgrades in one step (mode stageAndUpgrade) and lists the component it removed', async () => {
    await install(core('1.0.0.0'));
    const result = await deploy(await zip(core('2.0.0.0', { webResources: ['cts_/scripts/a.js'] })), { mode: 'stageAndUpgrade' });
    assert.equal(result.action, 'upgraded');
    assert.equal(result.step, 'stageAndUpgrade');
    assert.deepEqual(result.deletedComponents.map((c) => c.schemaName), ['cts_/scripts/b.js']);
    assert.deepEqual(await webResources(), ['cts_/scripts/a.js']);
    assert.deepEqual(await installedVersion(), { version: '2.0.0.0', holding: false });
    assert.match(reporter.summaries[0].markdown, /Deleted components \(1\)\*\*\n\n- web resource cts_\/scripts\/b\.js/);
    assert.deepEqual(await solutionActionsSent(), ['StageSolution', 'StageAndUpgradeAsync']);
  });

  it('upgrades by default through a holding solution and DeleteAndPromote, listing what the promotion deleted', async () => {
    await install(core('1.0.0.0'));
    const result = await deploy(await zip(core('2.0.0.0', { webResources: ['cts_/scripts/b.js'] })));
    assert.equal(result.action, 'upgraded');
    assert.equal(result.step, 'upgrade');
    assert.equal(result.fromVersion, '1.0.0.0');
    assert.deepEqual(result.deletedComponents.map((c) => [c.type, c.schemaName]), [['61', 'cts_/scripts/a.js']]);
    assert.deepEqual(await installedVersion(), { version: '2.0.0.0', holding: false });
    assert.deepEqual(await webResources(), ['cts_/scripts/b.js']);
    assert.ok(reporter.lines.includes('[group] Import ContosoCore 2.0.0.0 as holding solution ContosoCore_Upgrade'));
    assert.ok(reporter.lines.includes('[group] Apply the upgrade of ContosoCore (DeleteAndPromote)'));
    assert.deepEqual(await solutionActionsSent(), ['StageSolution', 'ImportSolutionAsync', 'DeleteAndPromoteAsync']);
  });

  it('applies a holding solution an earlier run left behind instead of importing again', async () => {
    await install(core('1.0.0.0'));
    const next = core('2.0.0.0', { webResources: ['cts_/scripts/a.js'] });
    await install(next, true);
    assert.deepEqual(await installedVersion(), { version: '1.0.0.0', holding: true });

    const result = await deploy(await zip(next));
    assert.equal(result.step, 'promote');
    assert.equal(result.action, 'upgraded');
    assert.equal(result.importJobId, undefined);
    assert.deepEqual(await installedVersion(), { version: '2.0.0.0', holding: false });
    assert.deepEqual(await solutionActionsSent(), ['DeleteAndPromoteAsync']);
    assert.ok(reporter.lines.some((l) => l.includes('from an earlier run is waiting')));
  });

  async function addFault(fault: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(fault) });
    assert.equal(response.status, 201, await response.text());
  }

  it('when DeleteAndPromote is refused, says the holding solution waits; the next run applies it without importing again', async () => {
    await install(core('1.0.0.0'));
    await addFault({
      method: 'POST', path: `${new URL(client.apiBase).pathname}/DeleteAndPromoteAsync`, status: 400,
      body: { error: { code: '0x80040216', message: 'Simulated refusal.' } },
    });
    const file = await zip(core('2.0.0.0'));
    await rejectsUserError(deploy(file), 'Simulated refusal', 'The holding solution ContosoCore_Upgrade 2.0.0.0 was imported (import job',
      'Run the deployment again with the same file');
    assert.deepEqual(await installedVersion(), { version: '1.0.0.0', holding: true });

    const result = await deploy(file);
    assert.equal(result.step, 'promote');
    assert.deepEqual(await installedVersion(), { version: '2.0.0.0', holding: false });
    assert.deepEqual(await solutionActionsSent(), ['StageSolution', 'ImportSolutionAsync', 'DeleteAndPromoteAsync', 'DeleteAndPromoteAsync']);
  });

  it('goes on with a warning when the target cannot be asked about connections (the import checks them)', async () => {
    await addFault({ method: 'GET', path: `${new URL(client.apiBase).pathname}/connections`, status: 400,
      body: { error: { code: '0x0', message: "Could not find a property named 'connectorid'." } } });
    const settings = await settingsFile({ ConnectionReferences: [{ LogicalName: 'cts_sharepoint', ConnectionId: 'shared-sp-1' }] });
    const result = await deploy(await zip(core('1.0.0.0')), { settingsFile: settings });
    assert.equal(result.action, 'installed');
    assert.ok(result.warnings.some((w) => w.includes('The connections could not be looked up')), result.warnings.join('\n'));
    const references = await rows<{ connectionid: string }>('connectionreferences', 'connectionid', "connectionreferencelogicalname eq 'cts_sharepoint'");
    assert.deepEqual(references.map((r) => r.connectionid), ['shared-sp-1']);
  });

  it('refuses another version while a holding solution waits, saying how to resolve it', async () => {
    await install(core('1.0.0.0'));
    await install(core('2.0.0.0'), true);
    await rejectsUserError(deploy(await zip(core('3.0.0.0'))), 'ContosoCore_Upgrade 2.0.0.0 is waiting', 'Deploy the 2.0.0.0 zip with mode upgrade');
    assert.deepEqual(await solutionActionsSent(), []);
  });

  it('skips the installed version with a clear message, and refuses allowSameVersion for a managed solution up front', async () => {
    await install(core('1.0.0.0'));
    const file = await zip(core('1.0.0.0'));
    const result = await deploy(file);
    assert.equal(result.action, 'skipped');
    assert.equal(result.step, undefined);
    assert.match(result.skipReason ?? '', /ContosoCore 1\.0\.0\.0 is already installed .*pack a higher version/);
    assert.doesNotMatch(result.skipReason ?? '', /allowSameVersion/, 'no advice that Dataverse would refuse for a managed solution');
    assert.ok(reporter.lines.includes(result.skipReason ?? '?'));
    assert.match(reporter.summaries[0].markdown, /Skipped/);

    await rejectsUserError(deploy(file, { allowSameVersion: true }), 'Dataverse refuses to import the same version of an installed managed solution', 'Bump the version');
    assert.deepEqual(await solutionActionsSent(), []);
  });

  it('re-imports the same version of an unmanaged solution when allowSameVersion and allowUnmanaged are set', async () => {
    const unmanaged = core('1.0.0.0', { managed: false });
    await install(unmanaged);
    const result = await deploy(await zip(unmanaged), { allowSameVersion: true, allowUnmanaged: true });
    assert.equal(result.action, 'updated');
    assert.equal(result.managed, false);
  });

  it('refuses an older version before any import call, and skips it with skipLowerVersion', async () => {
    await install(core('2.0.0.0'));
    const older = await zip(core('1.5.0.0'));
    const err = await rejectsUserError(deploy(older), 'stopped before importing',
      'ContosoCore 1.5.0.0 (managed) is older than the installed 2.0.0.0', 'there is no downgrade', 'nothing was imported');
    assert.ok(!err.message.includes('allowDowngrade'));
    assert.deepEqual(await solutionActionsSent(), [], 'no import was sent');

    const skipped = await deploy(older, { skipLowerVersion: true });
    assert.equal(skipped.action, 'skipped');
    assert.match(skipped.skipReason ?? '', /older than the installed 2\.0\.0\.0; skipped/);
    assert.deepEqual(await solutionActionsSent(), []);
  });

  it('applies deployment settings: binds the connection reference (the flow turns on) and sets environment variable values', async () => {
    const settings = await settingsFile({
      EnvironmentVariables: [{ SchemaName: 'cts_ApiUrl', Value: 'https://test.example' }, { SchemaName: 'cts_Retries', Value: '5' }],
      ConnectionReferences: [{ LogicalName: 'cts_sharepoint', ConnectionId: 'shared-sp-1', ConnectorId: SHAREPOINT }],
    });
    const result = await deploy(await zip(core('1.0.0.0')), { settingsFile: settings });
    assert.equal(result.action, 'installed');
    assert.deepEqual(result.warnings, []);

    const references = await rows<{ connectionid: string }>('connectionreferences', 'connectionid', "connectionreferencelogicalname eq 'cts_sharepoint'");
    assert.deepEqual(references.map((r) => r.connectionid), ['shared-sp-1']);
    const flows = await rows<{ statecode: number }>('workflows', 'statecode', `workflowid eq ${FLOW_ID}`);
    assert.deepEqual(flows.map((f) => f.statecode), [1], 'the flow is on');
    const values = async () => (await rows<{ schemaname: string; value: string }>('environmentvariablevalues', 'schemaname,value'))
      .map((v) => `${v.schemaname}=${v.value}`).sort();
    assert.deepEqual(await values(), ['cts_ApiUrl=https://test.example', 'cts_Retries=5']);
    assert.match(reporter.summaries[0].markdown, /Settings applied \| connection references: cts_sharepoint; environment variables: cts_ApiUrl, cts_Retries/);

    const changed = await settingsFile({ EnvironmentVariables: [{ SchemaName: 'cts_Retries', Value: '7' }], ConnectionReferences: [] }, 'changed.json');
    await deploy(await zip(core('1.1.0.0')), { settingsFile: changed, autoUpgradeMethod: 'update' });
    assert.deepEqual(await values(), ['cts_ApiUrl=https://test.example', 'cts_Retries=7'], 'the existing value row is updated, not duplicated');
  });

  it('does not send empty settings entries: warns, and the flow stays off without a connection', async () => {
    const settings = await settingsFile({
      EnvironmentVariables: [{ SchemaName: 'cts_ApiUrl', Value: '' }, { SchemaName: 'cts_Retries', Value: '' }],
      ConnectionReferences: [{ LogicalName: 'cts_sharepoint', ConnectionId: '', ConnectorId: SHAREPOINT }],
    });
    const result = await deploy(await zip(core('1.0.0.0')), { settingsFile: settings });
    assert.equal(result.action, 'installed');
    assert.ok(result.warnings.some((w) => w.includes("'cts_sharepoint' has an empty ConnectionId")), result.warnings.join('\n'));
    assert.ok(result.warnings.some((w) => w.includes("'cts_ApiUrl' has an empty Value")));
    assert.ok(result.warnings.some((w) => w.includes('Notify on new project')), 'the import reports the flow left off');
    assert.ok(reporter.lines.some((l) => l.startsWith('warning: ') && l.includes('Notify on new project')));
    const flows = await rows<{ statecode: number }>('workflows', 'statecode', `workflowid eq ${FLOW_ID}`);
    assert.deepEqual(flows.map((f) => f.statecode), [0]);
    assert.deepEqual(await rows('environmentvariablevalues', 'value'), []);
  });

  it('lists every settings problem at once, before any import', async () => {
    const settings = await settingsFile({
      EnvironmentVariables: [{ SchemaName: 'cts_ApiUrll', Value: 'x' }, { SchemaName: 'cts_Retries', Value: 'many' }],
      ConnectionReferences: [
        { LogicalName: 'cts_sharepoint', ConnectionId: 'shared-o365-1' },
        { LogicalName: 'cts_outlook', ConnectionId: 'missing-1' },
      ],
    });
    const err = await rejectsUserError(deploy(await zip(core('1.0.0.0')), { settingsFile: settings }), '4 problems',
      "Environment variable 'cts_ApiUrll' is not in the solution; did you mean 'cts_ApiUrl'?",
      "Connection reference 'cts_outlook' is not in the solution",
      "Environment variable 'cts_Retries' (type Number): the value in the deployment settings is not a number",
      `Connection reference 'cts_sharepoint' needs a connection of connector '${SHAREPOINT}', but connection 'shared-o365-1' belongs to '${OFFICE}'`);
    assert.ok(!err.message.includes('missing-1'), 'unknown references are not looked up');
    assert.deepEqual(await solutionActionsSent(), []);
    assert.equal(await installedVersion(), undefined);
  });

  it('refuses a connection id that does not exist in the target', async () => {
    const settings = await settingsFile({ ConnectionReferences: [{ LogicalName: 'cts_sharepoint', ConnectionId: 'gone-7' }] });
    await rejectsUserError(deploy(await zip(core('1.0.0.0')), { settingsFile: settings }),
      "Connection reference 'cts_sharepoint': connection 'gone-7' does not exist in");
    assert.deepEqual(await solutionActionsSent(), []);
  });

  it('refuses an unmanaged solution unless allowed, and a managed/unmanaged mismatch with the fix, together', async () => {
    await rejectsUserError(deploy(await zip(core('1.0.0.0', { managed: false }))), 'is an unmanaged solution', 'allowUnmanaged');
    await install(core('1.0.0.0', { managed: false }));
    await rejectsUserError(deploy(await zip(core('1.1.0.0'))), 'ContosoCore is installed unmanaged (1.0.0.0)', 'the modes match', 'Deploy the unmanaged zip');
    await rejectsUserError(deploy(await zip(core('1.1.0.0', { managed: false })), { mode: 'upgrade' }), '2 problems', 'is an unmanaged solution',
      "Mode 'upgrade' needs a managed solution");
    assert.deepEqual(await solutionActionsSent(), []);
  });

  it('checks the mode against what is installed', async () => {
    await rejectsUserError(deploy(await zip(core('1.0.0.0')), { mode: 'update' }), "Mode 'update' was asked, but ContosoCore is not installed");
    await install(core('1.0.0.0'));
    await rejectsUserError(deploy(await zip(core('1.1.0.0')), { mode: 'install' }), "Mode 'install' was asked, but ContosoCore 1.0.0.0 is already installed");
  });

  it('says which solution is missing when the import cannot satisfy a dependency', async () => {
    const needy = core('1.0.0.0', { missingDependencies: [{ required: { type: '1', schemaName: 'msdyn_workorder', solution: 'FieldService (8.8.0.0)' } }] });
    await assert.rejects(deploy(await zip(needy)), (err: unknown) => {
      assert.ok(err instanceof SolutionImportError, String(err));
      assert.match(err.message, /FieldService/);
      assert.match(err.message, /msdyn_workorder/);
      return true;
    });
    assert.equal(await installedVersion(), undefined);
  });

  it('names a missing or unreadable solution file', async () => {
    await rejectsUserError(deploy(path.join(dir, 'nope.zip')), "Solution file '", 'does not exist');
    const notZip = path.join(dir, 'not-a-zip.zip');
    await fs.promises.writeFile(notZip, 'hello');
    await rejectsUserError(deploy(notZip), 'not-a-zip.zip');
  });

  it('publishes all customizations when asked', async () => {
    const result = await deploy(await zip(core('1.0.0.0')), { publishCustomizations: true });
    assert.equal(result.action, 'installed');
    assert.ok(reporter.lines.includes('Published all customizations.'));
    assert.match(reporter.summaries[0].markdown, /\| Published \| all customizations \|/);
  });

  it('stops before importing when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(deploy(await zip(core('1.0.0.0')), { signal: controller.signal }));
    assert.deepEqual(await solutionActionsSent(), []);
  });
});
