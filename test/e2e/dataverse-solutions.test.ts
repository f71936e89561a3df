/**
 * shared/dataverse solution operations against the emulator over real HTTP (token, transport, Web API):
 * install a managed solution, update it, export unmanaged and managed, upgrade in one step removing a
 * component, upgrade through a holding solution and DeleteAndPromote, wait out the solution-operation lock,
 * and report a missing dependency.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yauzl from 'yauzl';
import { startEmulator, type RunningEmulator } from '../../emulator';
import { createTokenProvider } from '../../shared/auth';
import {
  DataverseClient, deleteAndPromote, exportSolution, getActiveSolutionOperation, getHoldingSolution, getSolution, getSolutionConfiguration,
  importSolution, listSolutionComponents, listSolutions, publishAllCustomizations, SolutionImportError, stageAndUpgrade,
  type OperationProgress, type SolutionOperationInfo,
} from '../../shared/dataverse';
import { createHttpClient, type ClosableHttpClient } from '../../shared/http';
import { writeSolutionZip, type FixtureSolution } from '../emulator/fixtures/solutionZip';

const POLL = { pollIntervalMs: 20, maxPollIntervalMs: 100 };
const SHAREPOINT = '/providers/Microsoft.PowerApps/apis/shared_sharepointonline';

const core = (version: string, webResources: string[]): FixtureSolution => ({
  uniqueName: 'ContosoCore',
  friendlyName: 'Contoso Core',
  version,
  managed: true,
  entities: ['cts_project'],
  webResources,
  envVars: [{ schemaName: 'cts_ApiUrl', defaultValue: 'https://default.example', value: 'https://v1.example' }],
  connectionReferences: [{ logicalName: 'cts_sharepoint', connectorId: SHAREPOINT }],
});

function readZipEntry(file: string, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== name) return zip.readEntry();
        zip.openReadStream(entry, (streamErr, stream) => {
          if (streamErr || !stream) return reject(streamErr ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => { zip.close(); resolve(Buffer.concat(chunks).toString('utf8')); });
        });
      });
      zip.on('end', () => reject(new Error(`${name} not found in ${file}`)));
      zip.readEntry();
    });
  });
}

describe('e2e: solution operations against the emulator', function () {
  this.timeout(120_000);
  let emulator: RunningEmulator;
  let http: ClosableHttpClient;
  let dir: string;

  before(async () => {
    emulator = await startEmulator({
      port: 0,
      quiet: true,
      seed: { environments: [{ name: 'dev', timeScale: 0.01 }, { name: 'test', timeScale: 0.01 }, { name: 'slow', timeScale: 0.5 }] },
    });
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'dv-solutions-e2e-'));
    http = createHttpClient({ productVersion: '0.0.0-test', retry: { lockMinDelayMs: 100, lockMaxDelayMs: 500 } });
  });
  after(async () => {
    http?.close();
    await emulator?.stop();
    if (dir) await fs.promises.rm(dir, { recursive: true, force: true });
  });

  function client(env: string): DataverseClient {
    const { info } = emulator;
    const tokenProvider = createTokenProvider({
      kind: 'clientSecret', authorityHost: info.authorityHost, tenantId: info.tenantId, clientId: info.clientId, clientSecret: info.clientSecret ?? '',
    }, { http });
    return new DataverseClient({ environmentUrl: info.environments[env], tokenProvider, http });
  }

  async function zip(solution: FixtureSolution, name = `${solution.uniqueName}_${solution.version.replace(/\./g, '_')}.zip`): Promise<string> {
    const file = path.join(dir, name);
    await writeSolutionZip(solution, file);
    return file;
  }

  async function webResourcesOf(dv: DataverseClient, uniqueName: string): Promise<string[]> {
    const solution = await getSolution(dv, uniqueName);
    assert.ok(solution, `${uniqueName} installed`);
    return (await listSolutionComponents(dv, solution.solutionid)).filter((c) => c.componentType === 61).map((c) => c.schemaName ?? '').sort();
  }

  it('installs managed 1.0, updates to 1.1, upgrades in one step removing a component, then through a holding solution', async () => {
    const dv = client('test');
    const progress: OperationProgress[] = [];
    const installed = await importSolution(dv, {
      zipPath: await zip(core('1.0.0.0', ['cts_/scripts/a.js', 'cts_/scripts/b.js'])),
      overwriteUnmanagedCustomizations: false, publishWorkflows: true, poll: POLL, onProgress: (p) => progress.push(p),
    });
    assert.equal(installed.uniqueName, 'ContosoCore');
    assert.equal(installed.version, '1.0.0.0');
    assert.ok(installed.asyncOperationId);
    assert.ok(installed.staged, 'validated with StageSolution first');
    assert.ok(progress.length > 0);
    const solution = await getSolution(dv, 'ContosoCore');
    assert.equal(solution?.version, '1.0.0.0');
    assert.equal(solution?.ismanaged, true);
    assert.equal(solution?.publisher?.uniquename, 'contoso');
    assert.ok((await listSolutions(dv)).some((s) => s.uniquename === 'ContosoCore'));

    const config = await getSolutionConfiguration(dv, solution.solutionid);
    assert.deepEqual(config.connectionReferences.map((c) => [c.connectionreferencelogicalname, c.connectorid]), [['cts_sharepoint', SHAREPOINT]]);
    assert.deepEqual(config.environmentVariables.map((v) => [v.schemaname, v.defaultvalue, v.value?.value]), [['cts_ApiUrl', 'https://default.example', 'https://v1.example']]);

    const updated = await importSolution(dv, {
      zipPath: await zip(core('1.1.0.0', ['cts_/scripts/a.js', 'cts_/scripts/b.js', 'cts_/scripts/c.js'])),
      overwriteUnmanagedCustomizations: false, publishWorkflows: true, stage: false, poll: POLL,
    });
    assert.equal(updated.version, '1.1.0.0');
    assert.deepEqual(await webResourcesOf(dv, 'ContosoCore'), ['cts_/scripts/a.js', 'cts_/scripts/b.js', 'cts_/scripts/c.js']);

    const upgraded = await stageAndUpgrade(dv, {
      zipPath: await zip(core('2.0.0.0', ['cts_/scripts/a.js', 'cts_/scripts/c.js'])), overwriteUnmanagedCustomizations: false, publishWorkflows: true, poll: POLL,
    });
    assert.equal(upgraded.version, '2.0.0.0');
    assert.deepEqual(upgraded.deletedComponents.map((c) => c.schemaName), ['cts_/scripts/b.js']);
    assert.deepEqual(await webResourcesOf(dv, 'ContosoCore'), ['cts_/scripts/a.js', 'cts_/scripts/c.js']);
    assert.equal((await getSolution(dv, 'ContosoCore'))?.version, '2.0.0.0');

    await importSolution(dv, {
      zipPath: await zip(core('3.0.0.0', ['cts_/scripts/c.js'])), holdingSolution: true, overwriteUnmanagedCustomizations: false, publishWorkflows: true, poll: POLL,
    });
    assert.equal((await getHoldingSolution(dv, 'ContosoCore'))?.version, '3.0.0.0');
    assert.equal((await getSolution(dv, 'ContosoCore'))?.version, '2.0.0.0', 'the base is untouched until promoted');
    const promoted = await deleteAndPromote(dv, 'ContosoCore', { poll: POLL });
    assert.equal(promoted.previousVersion, '2.0.0.0');
    assert.equal(promoted.solution?.version, '3.0.0.0');
    assert.equal(await getHoldingSolution(dv, 'ContosoCore'), undefined);
    assert.deepEqual(await webResourcesOf(dv, 'ContosoCore'), ['cts_/scripts/c.js']);

    await assert.rejects(deleteAndPromote(dv, 'ContosoCore', { poll: POLL }), /there is no holding solution 'ContosoCore_Upgrade'/);
    await publishAllCustomizations(dv, { poll: POLL });
  });

  it('exports an unmanaged solution as unmanaged and managed zips, streamed to the files', async () => {
    const dv = client('dev');
    await importSolution(dv, {
      zipPath: await zip({ uniqueName: 'ContosoDev', version: '1.4.0.0', managed: false, entities: ['cts_task'], webResources: ['cts_/x.js'] }),
      overwriteUnmanagedCustomizations: true, publishWorkflows: false, poll: POLL,
    });
    for (const managed of [false, true]) {
      const outFile = path.join(dir, 'out', `ContosoDev_${managed ? 'managed' : 'unmanaged'}.zip`);
      const result = await exportSolution(dv, { uniqueName: 'ContosoDev', managed, outFile, poll: POLL });
      assert.equal(result.version, '1.4.0.0');
      assert.equal(result.bytes, (await fs.promises.stat(outFile)).size);
      const manifest = await readZipEntry(outFile, 'solution.xml');
      assert.match(manifest, /<UniqueName>ContosoDev<\/UniqueName>/);
      assert.match(manifest, new RegExp(`<Managed>${managed ? 1 : 0}</Managed>`));
    }
    assert.deepEqual((await fs.promises.readdir(path.join(dir, 'out'))).sort(), ['ContosoDev_managed.zip', 'ContosoDev_unmanaged.zip']);
    await assert.rejects(exportSolution(dv, { uniqueName: 'NoSuchSolution', managed: false, outFile: path.join(dir, 'out', 'none.zip'), poll: POLL }),
      (err: Error) => /^Solution 'NoSuchSolution' was not found in .*Unmanaged solutions there: .*ContosoDev/.test(err.message));
    assert.equal(fs.existsSync(path.join(dir, 'out', 'none.zip')), false);
  });

  it('waits out the solution-operation lock held by a running import', async () => {
    const dv = client('slow');
    let running: SolutionOperationInfo | undefined;
    let publishing: Promise<unknown> | undefined;
    const imported = importSolution(dv, {
      zipPath: await zip({ uniqueName: 'LockHolder', version: '1.0.0.0', managed: true, entities: ['cts_lock'] }),
      overwriteUnmanagedCustomizations: false, publishWorkflows: false, poll: POLL,
      onProgress: (p) => {
        if (publishing || p.asyncOperationId === undefined) return;
        publishing = (async () => {
          running = await getActiveSolutionOperation(dv);
          await publishAllCustomizations(dv, { poll: POLL });
        })();
      },
    });
    await imported;
    assert.ok(publishing, 'publish started while the import ran');
    await publishing;
    assert.deepEqual({ name: running?.solutionName, operation: running?.operation }, { name: 'LockHolder', operation: 'Import' });
    const publishPath = `${new URL(emulator.info.environments.slow).pathname.replace(/\/$/, '')}/api/data/v9.2/PublishAllXmlAsync`;
    const res = await fetch(`${emulator.url}/_emulator/requests?path=${encodeURIComponent(publishPath)}`);
    const statuses = ((await res.json()) as Array<{ status: number }>).map((r) => r.status);
    assert.equal(statuses[0], 429, 'the first publish met the lock');
    assert.equal(statuses[statuses.length - 1], 200);
  });

  it('a second import started while one runs waits for the lock, staging its file again if needed', async () => {
    const dv = client('slow');
    let second: Promise<unknown> | undefined;
    const first = importSolution(dv, {
      zipPath: await zip({ uniqueName: 'FirstInLine', version: '1.0.0.0', managed: true, entities: ['cts_first'] }),
      overwriteUnmanagedCustomizations: false, publishWorkflows: false, poll: POLL,
      onProgress: (p) => {
        if (second || p.asyncOperationId === undefined) return;
        second = (async () => importSolution(dv, {
          zipPath: await zip({ uniqueName: 'SecondInLine', version: '1.0.0.0', managed: true, entities: ['cts_second'] }),
          overwriteUnmanagedCustomizations: false, publishWorkflows: false, poll: POLL,
        }))();
      },
    });
    await first;
    assert.ok(second, 'the second import started while the first ran');
    await second;
    assert.equal((await getSolution(dv, 'SecondInLine'))?.version, '1.0.0.0');
    const importPath = `${new URL(emulator.info.environments.slow).pathname.replace(/\/$/, '')}/api/data/v9.2/ImportSolutionAsync`;
    const res = await fetch(`${emulator.url}/_emulator/requests?path=${encodeURIComponent(importPath)}`);
    const statuses = ((await res.json()) as Array<{ status: number }>).map((r) => r.status);
    assert.ok(statuses.includes(429), `the second import met the lock: ${statuses.join(', ')}`);
  });

  it('a missing dependency fails with a message naming the component, its solution and what to install', async () => {
    const dv = client('test');
    const needsProjectCore: FixtureSolution = {
      uniqueName: 'ContosoProjects', version: '1.2.0.0', managed: true, entities: ['cts_task'],
      missingDependencies: [{
        required: { type: '1', schemaName: 'new_project', displayName: 'Project', solution: 'ProjectCore (1.0.0.3)' },
        dependent: { type: '60', displayName: 'Main form', parentSchemaName: 'cts_task' },
      }],
    };
    const file = await zip(needsProjectCore);
    const expected = /^Import of ContosoProjects 1\.2\.0\.0 failed: missing dependency: table 'new_project' \("Project", type 1\) from solution 'ProjectCore \(1\.0\.0\.3\)' required by form 'Main form' \(type 60\) of 'cts_task' — install ProjectCore 1\.0\.0\.3 or later first, then import ContosoProjects again\./;
    for (const stage of [true, false]) {
      await assert.rejects(importSolution(dv, { zipPath: file, stage, overwriteUnmanagedCustomizations: false, publishWorkflows: true, poll: POLL }),
        (err: Error) => {
          assert.ok(err instanceof SolutionImportError, String(err));
          assert.match(err.message, expected, `stage: ${stage}`);
          return true;
        });
    }
    assert.equal(await getSolution(dv, 'ContosoProjects'), undefined);
  });
});
