/**
 * Issue 3 acceptance script: plain HTTP requests built from protocol.md (fetch only, no project client code).
 * token → ImportSolutionAsync managed 1.0 → poll to 3/30 → listed as 1.0 managed → StageAndUpgradeAsync 1.1
 * without one component → component gone, version 1.1 → ImportSolutionAsync 1.0 again fails as older →
 * a concurrent second import meets the lock error.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type RunningEmulator } from '../../../emulator';
import { type FixtureSolution, solutionZipBase64 } from '../fixtures/solutionZip';

describe('emulator lifecycle: acceptance script over plain HTTP', () => {
  let emulator: RunningEmulator;
  let tempDir: string;
  before(async () => {
    emulator = await startEmulator({ port: 0, seed: { environments: [{ name: 'prod', timeScale: 0.5 }] } });
    tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'acceptance-'));
  });
  after(async () => {
    await emulator.stop();
    await fs.promises.rm(tempDir, { recursive: true, force: true });
  });

  it('runs the whole sequence', async () => {
    const { info } = emulator;
    const envUrl = info.environments.prod;
    const api = `${envUrl}/api/data/v9.2`;

    const tokenResponse = await fetch(`${info.authorityHost}/${info.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: info.clientId, client_secret: info.clientSecret ?? '', scope: `${envUrl}/.default` }),
    });
    assert.equal(tokenResponse.status, 200);
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    const headers = {
      Authorization: `Bearer ${token}`, Accept: 'application/json', 'Content-Type': 'application/json', 'OData-MaxVersion': '4.0', 'OData-Version': '4.0',
    };
    const post = (action: string, body: unknown) => fetch(`${api}/${action}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const get = async (resource: string) => {
      const res = await fetch(`${api}/${resource}`, { headers });
      assert.equal(res.status, 200, resource);
      return res.json() as Promise<Record<string, unknown>>;
    };
    const poll = async (id: string) => {
      for (let i = 0; i < 600; i++) {
        const row = await get(`asyncoperations(${id})?$select=statecode,statuscode,message,friendlymessage,completedon`);
        if (row.statecode === 3) return row;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`asyncoperation ${id} did not complete`);
    };
    let n = 0;
    const zip = (s: FixtureSolution) => solutionZipBase64(s, path.join(tempDir, `z${n++}.zip`));
    const v1: FixtureSolution = { uniqueName: 'AcmeApp', version: '1.0.0.0', managed: true, entities: ['acme_Order', 'acme_Invoice'] };
    const v11: FixtureSolution = { ...v1, version: '1.1.0.0', entities: ['acme_Order'] };
    const importBody = async (s: FixtureSolution) => ({
      OverwriteUnmanagedCustomizations: false, PublishWorkflows: true, CustomizationFile: await zip(s), ImportJobId: randomUUID(),
    });

    // ImportSolutionAsync of the managed 1.0 zip, polled to 3/30.
    const started = await post('ImportSolutionAsync', await importBody(v1));
    assert.equal(started.status, 200);
    const { AsyncOperationId, ImportJobKey } = (await started.json()) as { AsyncOperationId: string; ImportJobKey: string };
    assert.ok(AsyncOperationId && ImportJobKey);
    const done = await poll(AsyncOperationId);
    assert.deepEqual([done.statecode, done.statuscode], [3, 30]);
    const job = await get(`importjobs(${ImportJobKey})?$select=progress,completedon`);
    assert.equal(job.progress, 100);

    // Listed as 1.0 managed.
    const query = "solutions?$select=solutionid,uniquename,friendlyname,version,ismanaged&$filter=uniquename eq 'AcmeApp'";
    const listed = (await get(query)).value as { solutionid: string; version: string; ismanaged: boolean }[];
    assert.equal(listed.length, 1);
    assert.equal(listed[0].version, '1.0.0.0');
    assert.equal(listed[0].ismanaged, true);
    const entities = async () => {
      const id = ((await get(query)).value as { solutionid: string }[])[0].solutionid;
      const rows = (await get(`msdyn_solutioncomponentsummaries?$select=msdyn_componenttype,msdyn_schemaname&$filter=msdyn_solutionid eq ${id} and msdyn_componenttype eq 1`)).value as { msdyn_schemaname: string }[];
      return [...new Set(rows.map((r) => r.msdyn_schemaname.toLowerCase()))].sort();
    };
    assert.deepEqual(await entities(), ['acme_invoice', 'acme_order']);

    // StageAndUpgradeAsync of 1.1 without acme_Invoice: component gone, version 1.1.
    const upgrade = await post('StageAndUpgradeAsync', await importBody(v11));
    assert.equal(upgrade.status, 200);
    const upgraded = await poll(((await upgrade.json()) as { AsyncOperationId: string }).AsyncOperationId);
    assert.deepEqual([upgraded.statecode, upgraded.statuscode], [3, 30]);
    assert.equal(((await get(query)).value as { version: string }[])[0].version, '1.1.0.0');
    assert.deepEqual(await entities(), ['acme_order']);

    // ImportSolutionAsync of 1.0 again fails as older.
    const older = await post('ImportSolutionAsync', await importBody(v1));
    assert.equal(older.status, 200);
    const olderResult = await poll(((await older.json()) as { AsyncOperationId: string }).AsyncOperationId);
    assert.deepEqual([olderResult.statecode, olderResult.statuscode], [3, 31]);
    assert.match(String(olderResult.message), /1\.0\.0\.0 cannot be imported because a later version \(1\.1\.0\.0\) is already installed/);

    // A concurrent second import meets the lock error.
    // (the second request is sent while the first import runs: right after the first was accepted)
    const secondBody = await importBody({ ...v11, version: '1.3.0.0' });
    const first = await post('ImportSolutionAsync', await importBody({ ...v11, version: '1.2.0.0' }));
    const second = await post('ImportSolutionAsync', secondBody);
    assert.equal(first.status, 200);
    assert.equal(second.status, 429);
    assert.ok(Number(second.headers.get('retry-after')) >= 1);
    const error = ((await second.json()) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, '0x80071151');
    assert.match(error.message, /Cannot start another \[Import\] because there is a previous \[Import\] running at this moment/);
    await poll(((await first.json()) as { AsyncOperationId: string }).AsyncOperationId);
  });
});
