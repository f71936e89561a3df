/** The export operation's helpers: tree snapshots/changes and the deployment settings template. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSettingsTemplate } from '../../../../shared/operations/export/settings-template';
import { compareSnapshots, snapshotTree } from '../../../../shared/operations/export/tree-snapshot';
import type { SolutionContents } from '../../../../shared/solution';

function contents(envVars: string[], connectionReferences: string[]): SolutionContents {
  return {
    manifest: { uniqueName: 'Contoso', version: '1.0.0.0', managed: 0 } as SolutionContents['manifest'],
    entities: [], cloudFlows: [], classicWorkflows: [], webResources: [], canvasApps: [], pluginAssemblies: [], connectors: [], appModules: [],
    environmentVariables: envVars.map((schemaName) => ({ schemaName, hasCurrentValue: false })),
    connectionReferences: connectionReferences.map((logicalName) => ({ logicalName, connectorId: '/providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps' })),
  };
}

describe('operations/export helpers', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-helpers-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('tells added, changed and removed files apart by content, skipping .git, bin and obj', async () => {
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    write('Other/Solution.xml', 'v1');
    write('Entities/a.xml', 'a');
    write('WebResources/old.js', 'old');
    write('.git/HEAD', 'ref');
    write('bin/Debug/x.zip', 'zip');
    const before = await snapshotTree(dir);
    assert.deepEqual([...before.keys()].sort(), ['Entities/a.xml', 'Other/Solution.xml', 'WebResources/old.js']);

    write('Other/Solution.xml', 'v2');
    write('Entities/a.xml', 'a');
    fs.rmSync(path.join(dir, 'WebResources/old.js'));
    write('WebResources/new.js', 'new');
    assert.deepEqual(compareSnapshots(before, await snapshotTree(dir)),
      { added: ['WebResources/new.js'], changed: ['Other/Solution.xml'], removed: ['WebResources/old.js'], unchanged: 1 });
    assert.deepEqual(await snapshotTree(path.join(dir, 'absent')), new Map());
  });

  it('writes a template, keeps filled-in values when regenerating, and leaves an identical file untouched', async () => {
    const file = path.join(dir, 'settings', 'deploymentSettings.json');
    const first = await writeSettingsTemplate(file, contents(['cts_ApiUrl'], ['cts_Dataverse']));
    assert.deepEqual(first, { file, written: true, keptValues: 0 });
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"Value": ""', '"Value": "https://api"').replace('"ConnectionId": ""', '"ConnectionId": "conn-1"'));

    const second = await writeSettingsTemplate(file, contents(['cts_ApiUrl', 'cts_Timeout'], []));
    assert.deepEqual(second, { file, written: true, keptValues: 1 });
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(doc, { EnvironmentVariables: [{ SchemaName: 'cts_ApiUrl', Value: 'https://api' }, { SchemaName: 'cts_Timeout', Value: '' }], ConnectionReferences: [] });

    const stat = fs.statSync(file);
    assert.equal((await writeSettingsTemplate(file, contents(['cts_ApiUrl', 'cts_Timeout'], []))).written, false);
    assert.equal(fs.statSync(file).mtimeMs, stat.mtimeMs);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['deploymentSettings.json']);
  });

  it('refuses to overwrite an existing settings file it cannot read', async () => {
    const file = path.join(dir, 'deploymentSettings.json');
    fs.writeFileSync(file, '{ "EnvironmentVariables": [ broken');
    await assert.rejects(writeSettingsTemplate(file, contents(['cts_ApiUrl'], [])), /cannot be read, so it was not overwritten/);
    assert.equal(fs.readFileSync(file, 'utf8'), '{ "EnvironmentVariables": [ broken');
  });
});
