import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { writeSolutionZip } from '../fixtures/solutionZip';
import { startHarness, pollAsyncOperation, type Harness } from './harness';

describe('smoke', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.stop(); });
  it('imports', async () => {
    const dev = await h.env('dev');
    const zip = path.join(h.tempDir, 'a.zip');
    await writeSolutionZip({ uniqueName: 'Alpha', version: '1.0.0.0', managed: true, entities: ['cts_Thing'] }, zip);
    const res = await dev.post('ImportSolutionAsync', { OverwriteUnmanagedCustomizations: false, PublishWorkflows: true, CustomizationFile: fs.readFileSync(zip).toString('base64'), ImportJobId: randomUUID() });
    console.log(res.status, res.text);
    const r = await pollAsyncOperation(dev, (res.body as { AsyncOperationId: string }).AsyncOperationId);
    console.log(r);
    const s = await dev.get("solutions?$select=uniquename,version,ismanaged&$filter=uniquename eq 'Alpha'&$expand=publisherid($select=uniquename)");
    console.log(s.text);
    assert.equal(s.status, 200);
  });
});
