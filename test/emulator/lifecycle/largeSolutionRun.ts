/**
 * Child process of largeSolution.test.ts (run with --expose-gc): starts an emulator, streams a solution with an
 * incompressible component file of argv[2] bytes through ImportSolutionAsync and ExportSolution, and sends back
 * the memory it measured in-process around the operation. A process of its own, so that nothing else running
 * in the test process is counted.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yauzl from 'yauzl';
import { writeSolutionZip } from '../fixtures/solutionZip';
import { exportToFile, postWithFile } from '../fixtures/streamingClient';
import { pollAsyncOperation, startHarness } from './harness';

export interface LargeRunReport {
  importStatus: number;
  asyncStatus: string;
  exportedBytes: number;
  exportedEntryBytes: number | null;
  retainedGrowth: number;
  rssGrowth: number;
}

const BLOB = 'WebResources/cts_bigblobB9E478CC-2ADB-E611-80D9-3863BB34CDB0';

function zipEntrySize(zipPath: string, name: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) { reject(err); return; }
      let found: number | null = null;
      zip.on('entry', (e: yauzl.Entry) => { if (e.fileName === name) found = e.uncompressedSize; zip.readEntry(); });
      zip.on('end', () => resolve(found));
      zip.readEntry();
    });
  });
}

async function run(fileBytes: number): Promise<LargeRunReport> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('largeSolutionRun needs --expose-gc');
  const h = await startHarness({ big: { timeScale: 0.001 } });
  try {
    const client = await h.env('big');
    const zipPath = path.join(h.tempDir, 'big.zip');
    await writeSolutionZip({ uniqueName: 'BigOne', version: '1.0.0.0', managed: false, entities: ['cts_Big'], files: [{ name: BLOB, randomBytes: fileBytes }] }, zipPath);
    gc();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakRetained = baseline.heapUsed + baseline.external;
    // Samples often; a full GC runs only when usage looks high, so the peak counts retained memory, not garbage.
    const sampler = setInterval(() => {
      let m = process.memoryUsage();
      if (m.heapUsed + m.external - (baseline.heapUsed + baseline.external) > fileBytes / 10) {
        gc();
        m = process.memoryUsage();
      }
      peakRss = Math.max(peakRss, m.rss);
      peakRetained = Math.max(peakRetained, m.heapUsed + m.external);
    }, 20);
    try {
      const res = await postWithFile(`${client.api}/ImportSolutionAsync`, client.token,
        { OverwriteUnmanagedCustomizations: false, PublishWorkflows: false, ImportJobId: randomUUID() }, zipPath);
      if (res.status !== 200) throw new Error(`ImportSolutionAsync answered ${res.status}: ${res.text}`);
      const { row } = await pollAsyncOperation(client, (JSON.parse(res.text) as { AsyncOperationId: string }).AsyncOperationId, 120000);
      const exported = path.join(h.tempDir, 'exported.zip');
      const exportedBytes = await exportToFile(`${client.api}/ExportSolution`, client.token, { SolutionName: 'BigOne', Managed: true }, exported);
      return {
        importStatus: res.status, asyncStatus: `${row.statecode}/${row.statuscode}`, exportedBytes,
        exportedEntryBytes: await zipEntrySize(exported, BLOB),
        retainedGrowth: peakRetained - (baseline.heapUsed + baseline.external), rssGrowth: peakRss - baseline.rss,
      };
    } finally {
      clearInterval(sampler);
      await fs.promises.rm(zipPath, { force: true });
    }
  } finally {
    await h.stop();
  }
}

run(Number(process.argv[2])).then(
  (report) => { process.send?.(report, () => process.exit(0)); },
  (err: unknown) => { console.error(err); process.exit(1); },
);
