/** A maker's edits to an unmanaged solution (the control API hook) and their effect on export (issue 3 §1). */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yauzl from 'yauzl';
import type { EnvironmentDescriptor } from '../../../emulator/core/contracts';
import { createDataverseModule, type DataverseLifecycleModule, ODataFailure } from '../../../emulator/dataverse';
import { readSolutionPackage } from '../../../emulator/dataverse/solutionPackage';
import { solutionZipBase64, writeSolutionZip } from '../fixtures/solutionZip';
import { type Harness, pollAsyncOperation, startHarness } from './harness';

function descriptor(name: string, seed: Record<string, unknown>): EnvironmentDescriptor {
  return {
    name, url: `http://127.0.0.1:1/env/${name}`, tenantId: '11111111-1111-4111-8111-111111111111',
    organizationId: '66666666-6666-4666-8666-666666666666', businessUnitId: '77777777-7777-4777-8777-777777777777', seed,
  };
}

function zipEntryNames(zipPath: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      const found: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => { found.push(entry.fileName); zip.readEntry(); });
      zip.on('end', () => resolve(found));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

const names = (components: { type: string; schemaName?: string; id?: string }[], type: string) =>
  [...new Set(components.filter((c) => c.type === type).map((c) => (c.schemaName ?? c.id ?? '').toLowerCase()))].sort();

describe('emulator lifecycle: editing an unmanaged solution', () => {
  let tempDir: string;
  let module: DataverseLifecycleModule;
  before(async () => {
    tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'lifecycle-edit-'));
    module = createDataverseModule({ tempDir });
    const zip = path.join(tempDir, 'maker.zip');
    await writeSolutionZip({
      uniqueName: 'Maker', version: '1.0.0.0', managed: false, entities: ['cts_A', 'cts_B'], webResources: ['cts_/old.js'],
      envVars: [{ schemaName: 'cts_Drop', value: 'x' }],
    }, zip);
    const managed = path.join(tempDir, 'managed.zip');
    await writeSolutionZip({ uniqueName: 'Locked', version: '1.0.0.0', managed: true, entities: ['cts_L'] }, managed);
    await module.createEnvironment(descriptor('dev', { timeScale: 0, solutions: [{ zip }, { zip: managed }] }));
  });
  after(async () => {
    await module.close();
    await fs.promises.rm(tempDir, { recursive: true, force: true });
  });

  it('adds and removes components and bumps the version; the export carries exactly that', async () => {
    const edited = module.editSolution('dev', 'Maker', {
      version: '1.1.0.0',
      addComponents: [{ type: 61, schemaName: 'cts_/new.js' }],
      removeComponents: [{ type: 1, schemaName: 'cts_B' }, { type: 61, schemaName: 'cts_/old.js' }, { type: 380, schemaName: 'cts_Drop' }],
    });
    assert.equal(edited.version, '1.1.0.0');
    assert.deepEqual(names(edited.components, '1'), ['cts_a']);
    const env = module.environment('dev');
    assert.ok(env);
    const record = env.solution('Maker');
    assert.ok(record);
    const exported = await env.exportToFile(record, false);
    const pkg = await readSolutionPackage(exported.filePath);
    assert.equal(pkg.manifest.version, '1.1.0.0');
    assert.equal(pkg.manifest.managed, false);
    assert.deepEqual(names(pkg.components, '1'), ['cts_a']);
    assert.deepEqual(names(pkg.components, '61'), ['cts_/new.js']);
    assert.deepEqual(pkg.envVarDefinitions, []);
    const entries = await zipEntryNames(exported.filePath);
    assert.ok(!entries.some((e) => /^WebResources\/cts_oldjs/i.test(e)), `the removed web resource's file is not exported: ${entries.join(', ')}`);
    await module.createEnvironment(descriptor('test', { timeScale: 0, solutions: [{ zip: exported.filePath }] }));
    const imported = module.environment('test')?.solution('Maker');
    assert.equal(imported?.version, '1.1.0.0');
    assert.deepEqual(names(imported?.components ?? [], '1'), ['cts_a']);
  });

  it('refuses a malformed environment seed, naming the environment and the key', async () => {
    await assert.rejects(async () => module.createEnvironment(descriptor('bad', { timeScale: 'fast' })), /Seed: environment 'bad': "timeScale"/);
    await assert.rejects(async () => module.createEnvironment(descriptor('bad', { connections: [{ id: 'x' }] })), /connections\[0\] needs "id" and "connectorId"/);
    const notZip = path.join(tempDir, 'plain.txt');
    fs.writeFileSync(notZip, 'text');
    await assert.rejects(async () => module.createEnvironment(descriptor('bad', { solutions: [{ zip: notZip }] })), /plain\.txt is not a solution zip/);
    const needy = path.join(tempDir, 'needy.zip');
    await writeSolutionZip({ uniqueName: 'Needy', version: '1.0', managed: true,
      missingDependencies: [{ required: { type: '1', schemaName: 'msdyn_x', solution: 'FieldService (1.0)' } }] }, needy);
    await assert.rejects(async () => module.createEnvironment(descriptor('bad', { solutions: [{ zip: needy }] })), /cannot be installed: .*FieldService/);
  });

  it('refuses managed solutions, unknown components, bad versions and unknown environments', () => {
    const refused = (fn: () => unknown, status: number) => assert.throws(fn, (err: unknown) => err instanceof ODataFailure && err.status === status);
    refused(() => module.editSolution('dev', 'Locked', { version: '2.0' }), 400);
    refused(() => module.editSolution('dev', 'Maker', { version: 'v2' }), 400);
    refused(() => module.editSolution('dev', 'Maker', { removeComponents: [{ type: 1, schemaName: 'cts_Nope' }] }), 404);
    refused(() => module.editSolution('dev', 'Nope', {}), 404);
    refused(() => module.editSolution('nowhere', 'Maker', {}), 404);
  });
});

describe('emulator lifecycle: control API /_emulator/dataverse/…', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ dev: {}, test: {} }); });
  after(async () => { await h.stop(); });
  const control = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${h.emulator.url}/_emulator/dataverse/${route}`, {
      method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('edits an unmanaged solution in dev; export → import into test carries the edit', async () => {
    const dev = await h.env('dev');
    const file = await solutionZipBase64({ uniqueName: 'Work', version: '1.0.0.0', managed: false, entities: ['cts_Keep', 'cts_Drop'] }, path.join(h.tempDir, 'work.zip'));
    assert.equal((await dev.post('ImportSolution', { OverwriteUnmanagedCustomizations: true, PublishWorkflows: false, CustomizationFile: file, ImportJobId: '8f0c5d7a-2c41-4a8e-9a51-0c6d2a9e1b11' })).status, 204);
    const edited = await control('POST', 'dev/solutions/Work', { version: '1.0.1.0', addComponents: [{ type: 61, schemaName: 'cts_/added.js' }], removeComponents: [{ type: 1, schemaName: 'cts_Drop' }] });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal(edited.body.version, '1.0.1.0');
    const exported = await dev.post('ExportSolution', { SolutionName: 'Work', Managed: true });
    assert.equal(exported.status, 200);
    const test = await h.env('test');
    const started = await test.post('ImportSolutionAsync', { OverwriteUnmanagedCustomizations: false, PublishWorkflows: false,
      CustomizationFile: (exported.body as { ExportSolutionFile: string }).ExportSolutionFile });
    const { row } = await pollAsyncOperation(test, (started.body as { AsyncOperationId: string }).AsyncOperationId);
    assert.equal(row.statuscode, 30, row.message ?? '');
    const state = await control('GET', 'test/solutions/Work');
    assert.equal(state.body.version, '1.0.1.0');
    assert.equal(state.body.managed, true);
    const components = state.body.components as { type: string; schemaName?: string }[];
    assert.deepEqual(names(components, '1'), ['cts_keep']);
    assert.deepEqual(names(components, '61'), ['cts_/added.js']);
  });

  it('adds connections and changes timeScale; answers 400/404 for bad calls', async () => {
    const added = await control('POST', 'dev/connections', { id: 'late-conn', connectorId: '/providers/Microsoft.PowerApps/apis/shared_office365', sharedWith: ['*'] });
    assert.equal(added.status, 200);
    const dev = await h.env('dev');
    const listed = await dev.get("connections?$select=connectionid&$filter=connectionid eq 'late-conn'");
    assert.equal((listed.body as { value: unknown[] }).value.length, 1);
    assert.equal((await control('POST', 'dev/settings', { timeScale: 0 })).status, 200);
    assert.equal((await control('POST', 'dev/settings', { timeScale: -1 })).status, 400);
    assert.equal((await control('POST', 'dev/solutions/Work', { versoin: '2.0' })).status, 400);
    assert.equal((await control('GET', 'dev/solutions/Nothing')).status, 404);
    assert.equal((await control('GET', 'nowhere/solutions/Work')).status, 404);
  });
});
