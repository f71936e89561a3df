/**
 * Large files (issue 3 §6): a 50 MB solution (incompressible component file) is imported and exported
 * while the emulator streams bodies to and from disk, so memory grows far less than the file size.
 * Client and emulator share this process: the client streams too, so the measurement covers both.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as yauzl from 'yauzl';
import { writeSolutionZip } from '../fixtures/solutionZip';
import { exportToFile, postWithFile } from '../fixtures/streamingClient';
import { type Harness, pollAsyncOperation, startHarness } from './harness';

const FILE_BYTES = 50 * 1024 * 1024;

/** A full garbage collection (so the samples show what is retained, not garbage awaiting collection). */
function collector(): () => void {
  v8.setFlagsFromString('--expose_gc');
  return vm.runInNewContext('gc') as () => void;
}

function zipEntrySize(zipPath: string, name: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) { reject(err); return; }
      let found: number | undefined;
      zip.on('entry', (e: yauzl.Entry) => { if (e.fileName === name) found = e.uncompressedSize; zip.readEntry(); });
      zip.on('end', () => resolve(found));
      zip.readEntry();
    });
  });
}

describe('emulator lifecycle: a 50 MB solution streams through import and export', function () {
  this.timeout(180000);
  let h: Harness;
  before(async () => { h = await startHarness({ big: { timeScale: 0.001 } }); });
  after(async () => { await h.stop(); });

  it('imports and exports with memory growth well below the file size', async () => {
    const client = await h.env('big');
    const zipPath = path.join(h.tempDir, 'big.zip');
    await writeSolutionZip({
      uniqueName: 'BigOne', version: '1.0.0.0', managed: false, entities: ['cts_Big'],
      files: [{ name: 'WebResources/cts_bigblobB9E478CC-2ADB-E611-80D9-3863BB34CDB0', randomBytes: FILE_BYTES }],
    }, zipPath);
    assert.ok(fs.statSync(zipPath).size > FILE_BYTES);

    const gc = collector();
    gc();
    const baseline = process.memoryUsage();
    // RSS is reported, not asserted: freed buffers are not always handed back to the OS, so it measures the allocator.
    let peakRss = baseline.rss;
    let peakRetained = baseline.heapUsed + baseline.external;
    const limit = FILE_BYTES / 5;
    // Samples often; only when the usage looks high is a full GC run, so the peak counts retained memory, not garbage.
    const sampler = setInterval(() => {
      let m = process.memoryUsage();
      if (m.heapUsed + m.external - (baseline.heapUsed + baseline.external) > limit / 2) {
        gc();
        m = process.memoryUsage();
      }
      peakRss = Math.max(peakRss, m.rss);
      peakRetained = Math.max(peakRetained, m.heapUsed + m.external);
    }, 20);
    try {
      const res = await postWithFile(`${client.api}/ImportSolutionAsync`, client.token,
        { OverwriteUnmanagedCustomizations: false, PublishWorkflows: false, ImportJobId: randomUUID() }, zipPath);
      assert.equal(res.status, 200, res.text);
      const { row } = await pollAsyncOperation(client, (JSON.parse(res.text) as { AsyncOperationId: string }).AsyncOperationId, 120000);
      assert.equal(row.statuscode, 30, row.message ?? '');
      const exported = path.join(h.tempDir, 'exported.zip');
      const size = await exportToFile(`${client.api}/ExportSolution`, client.token, { SolutionName: 'BigOne', Managed: true }, exported);
      assert.ok(size > FILE_BYTES, `exported zip is ${size} bytes`);
      assert.equal(await zipEntrySize(exported, 'WebResources/cts_bigblobB9E478CC-2ADB-E611-80D9-3863BB34CDB0'), FILE_BYTES);
    } finally {
      clearInterval(sampler);
    }
    const retainedGrowth = peakRetained - (baseline.heapUsed + baseline.external);
    const rssGrowth = peakRss - baseline.rss;
    console.log(`      50 MB solution: peak retained heap+external growth ${(retainedGrowth / 1048576).toFixed(1)} MB, peak RSS growth ${(rssGrowth / 1048576).toFixed(1)} MB`);
    assert.ok(retainedGrowth < limit, `retained heap+external grew by ${retainedGrowth} bytes during the operation`);
  });
});
