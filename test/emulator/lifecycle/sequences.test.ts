/** Update and upgrade sequences leave exactly the expected components (issue 3 §3). */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { type FixtureSolution, solutionZipBase64 } from '../fixtures/solutionZip';
import { type EnvClient, errorOf, type Harness, pollAsyncOperation, startHarness } from './harness';

const FLOW_ID = '44444444-bbbb-4bbb-8bbb-444444444444';

describe('emulator lifecycle: update and upgrade sequences', () => {
  let h: Harness;
  let n = 0;
  const body = async (s: FixtureSolution, extra: Record<string, unknown> = {}) => ({
    OverwriteUnmanagedCustomizations: false, PublishWorkflows: true, CustomizationFile: await solutionZipBase64(s, path.join(h.tempDir, `s${n++}.zip`)),
    ImportJobId: randomUUID(), ...extra,
  });
  async function run(client: EnvClient, action: string, payload: Record<string, unknown>) {
    const res = await client.post(action, payload);
    assert.equal(res.status, 200, res.text);
    const ids = res.body as { AsyncOperationId: string; ImportJobKey?: string };
    const { row } = await pollAsyncOperation(client, ids.AsyncOperationId);
    return { row, jobId: ids.ImportJobKey };
  }
  async function solutions(client: EnvClient, prefix: string) {
    const res = await client.get(`solutions?$select=uniquename,version,ismanaged&$orderby=uniquename`);
    return (res.body as { value: { uniquename: string; version: string; solutionid: string }[] }).value
      .filter((s) => s.uniquename.startsWith(prefix)).map((s) => `${s.uniquename} ${s.version}`);
  }
  /** Entities (1), web resources (61), flows (29) and env var definitions (380) of a solution, as "type:name". */
  async function components(client: EnvClient, uniqueName: string) {
    const sol = await client.get(`solutions?$select=solutionid&$filter=uniquename eq '${uniqueName}'`);
    const id = (sol.body as { value: { solutionid: string }[] }).value[0].solutionid;
    const res = await client.get(`msdyn_solutioncomponentsummaries?$select=msdyn_componenttypename,msdyn_name&$filter=msdyn_solutionid eq ${id}`);
    return [...new Set((res.body as { value: { msdyn_componenttypename: string; msdyn_name: string }[] }).value
      .filter((c) => ['1', '61', '29', '380'].includes(c.msdyn_componenttypename))
      .map((c) => `${c.msdyn_componenttypename}:${c.msdyn_name.toLowerCase()}`))].sort();
  }

  before(async () => { h = await startHarness({ upd: {}, hold: {}, stage: {} }); });
  after(async () => { await h.stop(); });

  it('update (higher version, same name): components added and changed, none removed', async () => {
    const client = await h.env('upd');
    await run(client, 'ImportSolutionAsync', await body({ uniqueName: 'Upd', version: '1.0.0.0', managed: false, entities: ['cts_A', 'cts_B'], webResources: ['cts_/x.js'] }));
    const second = await run(client, 'ImportSolutionAsync', await body({ uniqueName: 'Upd', version: '1.1.0.0', managed: false, entities: ['cts_A', 'cts_C'] }));
    assert.equal(second.row.statuscode, 30);
    assert.deepEqual(await solutions(client, 'Upd'), ['Upd 1.1.0.0']);
    assert.deepEqual(await components(client, 'Upd'), ['1:cts_a', '1:cts_b', '1:cts_c', '61:cts_/x.js']);
    const job = await client.get(`importjobs(${second.jobId as string})?$select=importcontext`);
    assert.equal((job.body as { importcontext: string }).importcontext, 'ImportUpdate');
  });

  it('upgrade via holding solution + DeleteAndPromoteAsync: missing components (and their rows) are deleted', async () => {
    const client = await h.env('hold');
    const v1: FixtureSolution = {
      uniqueName: 'Hold', version: '1.0.0.0', managed: true, entities: ['cts_A', 'cts_B'], envVars: [{ schemaName: 'cts_Gone' }],
      connectionReferences: [{ logicalName: 'cts_ref', connectorId: '/providers/Microsoft.PowerApps/apis/shared_office365' }],
      flows: [{ id: FLOW_ID, name: 'Old flow', connectionReferences: ['cts_ref'] }],
    };
    await run(client, 'ImportSolutionAsync', await body(v1));
    assert.deepEqual(await components(client, 'Hold'), ['1:cts_a', '1:cts_b', `29:${FLOW_ID}`, '380:cts_gone']);
    const holding = await run(client, 'ImportSolutionAsync', await body({ uniqueName: 'Hold', version: '2.0.0.0', managed: true, entities: ['cts_A', 'cts_C'] }, { HoldingSolution: true }));
    assert.equal(holding.row.statuscode, 30, holding.row.message ?? '');
    assert.deepEqual(await solutions(client, 'Hold'), ['Hold 1.0.0.0', 'Hold_Upgrade 2.0.0.0']);
    const job = await client.get(`importjobs(${holding.jobId as string})?$select=importcontext`);
    assert.equal((job.body as { importcontext: string }).importcontext, 'ImportHolding');
    const blocked = await run(client, 'ImportSolutionAsync', await body({ uniqueName: 'Hold', version: '3.0.0.0', managed: true }));
    assert.equal(blocked.row.statuscode, 31);
    assert.match(blocked.row.message ?? '', /pending upgrade/);
    const promoted = await run(client, 'DeleteAndPromoteAsync', { UniqueName: 'Hold' });
    assert.equal(promoted.row.statuscode, 30);
    assert.deepEqual(await solutions(client, 'Hold'), ['Hold 2.0.0.0']);
    assert.deepEqual(await components(client, 'Hold'), ['1:cts_a', '1:cts_c']);
    const flows = await client.get(`workflows?$select=name&$filter=workflowid eq ${FLOW_ID}`);
    assert.equal((flows.body as { value: unknown[] }).value.length, 0);
    const defs = await client.get("environmentvariabledefinitions?$select=schemaname&$filter=schemaname eq 'cts_Gone'");
    assert.equal((defs.body as { value: unknown[] }).value.length, 0);
  });

  it('DeleteAndPromote (sync) returns the promoted SolutionId; without a holding solution it fails', async () => {
    const client = await h.env('hold');
    await run(client, 'ImportSolutionAsync', await body({ uniqueName: 'Hold', version: '2.1.0.0', managed: true, entities: ['cts_A'] }, { HoldingSolution: true }));
    const res = await client.post('DeleteAndPromote', { UniqueName: 'Hold' });
    assert.equal(res.status, 200, res.text);
    const listed = await client.get("solutions?$select=solutionid,version&$filter=uniquename eq 'Hold'");
    const row = (listed.body as { value: { solutionid: string; version: string }[] }).value[0];
    assert.equal((res.body as { SolutionId: string }).SolutionId, row.solutionid);
    assert.equal(row.version, '2.1.0.0');
    const none = await client.post('DeleteAndPromote', { UniqueName: 'Hold' });
    assert.equal(none.status, 400);
    assert.match(errorOf(none).message, /no holding solution 'Hold_Upgrade'/);
    const missing = await client.post('DeleteAndPromoteAsync', { UniqueName: 'NotThere' });
    assert.equal(missing.status, 404);
  });

  it('StageAndUpgradeAsync applies the upgrade in one step and records what it deleted', async () => {
    const client = await h.env('stage');
    await run(client, 'ImportSolutionAsync', await body({ uniqueName: 'Stg', version: '1.0.0.0', managed: true, entities: ['cts_A', 'cts_B'], webResources: ['cts_/w.js'] }));
    const upgrade = await run(client, 'StageAndUpgradeAsync', await body({ uniqueName: 'Stg', version: '1.1.0.0', managed: true, entities: ['cts_A'], webResources: ['cts_/w.js'] }));
    assert.equal(upgrade.row.statuscode, 30, upgrade.row.message ?? '');
    assert.deepEqual(await solutions(client, 'Stg'), ['Stg 1.1.0.0']);
    assert.deepEqual(await components(client, 'Stg'), ['1:cts_a', '61:cts_/w.js']);
    const job = await client.get(`importjobs(${upgrade.jobId as string})?$select=importcontext,data`);
    const row = job.body as { importcontext: string; data: string };
    assert.equal(row.importcontext, 'ImportUpgrade');
    assert.match(row.data, /<deletedComponents>.*schemaName="cts_b".*<\/deletedComponents>/);
    const sync = await client.post('StageAndUpgrade', await body({ uniqueName: 'Stg', version: '1.2.0.0', managed: true, entities: ['cts_A'] }));
    assert.equal(sync.status, 204, sync.text);
    assert.deepEqual(await components(client, 'Stg'), ['1:cts_a']);
  });

  it('upgrades need managed solutions, and a holding solution needs an installed earlier version', async () => {
    const client = await h.env('stage');
    const unmanaged = await run(client, 'StageAndUpgradeAsync', await body({ uniqueName: 'StgU', version: '1.0', managed: false }));
    assert.equal(unmanaged.row.statuscode, 31);
    assert.match(unmanaged.row.message ?? '', /Only a managed solution can be imported as an upgrade/);
    const holding = await run(client, 'ImportSolutionAsync', await body({ uniqueName: 'Fresh', version: '1.0', managed: true }, { HoldingSolution: true }));
    assert.equal(holding.row.statuscode, 31);
    assert.match(holding.row.message ?? '', /holding solution can only be imported when an earlier version of Fresh is installed/);
  });
});
