/**
 * Large files (issue 3 §6): a 50 MB solution (incompressible component file) is imported and exported while
 * the emulator streams bodies to and from disk, so memory grows far less than the file size. The emulator and
 * a streaming client run in a child process (largeSolutionRun), which measures process.memoryUsage() around
 * the operation; its own process keeps the rest of the test run out of the figures.
 */
import * as assert from 'node:assert/strict';
import { runChildReport } from '../../helpers/child-report';
import type { LargeRunReport } from './largeSolutionRun';

const FILE_BYTES = 50 * 1024 * 1024;

function runChild(fileBytes: number): Promise<LargeRunReport> {
  // The young generation is capped so that RSS shows what the process keeps, not V8's headroom for short-lived
  // allocations (by default it grows its semi-spaces to tens of MB under any steady allocation, whatever the file size).
  return runChildReport(__dirname, 'largeSolutionRun', [String(fileBytes)], ['--expose-gc', '--max-semi-space-size=1']);
}

describe('emulator lifecycle: a 50 MB solution streams through import and export', function () {
  this.timeout(180000);

  it('imports and exports with memory growth well below the file size', async () => {
    const report = await runChild(FILE_BYTES);
    console.log(`      50 MB solution: peak retained heap+external growth ${(report.retainedGrowth / 1048576).toFixed(1)} MB, ` +
      `peak RSS growth ${(report.rssGrowth / 1048576).toFixed(1)} MB`);
    assert.equal(report.importStatus, 200);
    assert.equal(report.asyncStatus, '3/30');
    assert.ok(report.exportedBytes > FILE_BYTES, `exported zip is ${report.exportedBytes} bytes`);
    assert.equal(report.exportedEntryBytes, FILE_BYTES);
    assert.ok(report.retainedGrowth < FILE_BYTES / 5, `retained heap+external grew by ${report.retainedGrowth} bytes`);
    // RSS also counts code compiled during the run (more under coverage): checked against the file size only.
    assert.ok(report.rssGrowth < FILE_BYTES, `RSS grew by ${report.rssGrowth} bytes`);
  });
});
