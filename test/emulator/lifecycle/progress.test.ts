/**
 * Issue 3 §2: an async import moves its system job 0/0 → 2/20 → 3/30 and its import job's progress rises
 * from 0 to 100 while it runs (timeScale 1: a small solution takes about two seconds).
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { solutionZipBase64 } from '../fixtures/solutionZip';
import { type Harness, pollAsyncOperation, startHarness } from './harness';

describe('emulator lifecycle: async operation states and import progress over time', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ slow: { timeScale: 1 } }); });
  after(async () => { await h.stop(); });

  it('walks 0/0 → 2/20 → 3/30 while the import job progress rises to 100', async () => {
    const client = await h.env('slow');
    const importJobId = randomUUID();
    const started = await client.post('ImportSolutionAsync', {
      OverwriteUnmanagedCustomizations: false,
      PublishWorkflows: false,
      ImportJobId: importJobId,
      CustomizationFile: await solutionZipBase64({ uniqueName: 'Progress', version: '1.0.0.0', managed: true, entities: ['cts_Task'] }, path.join(h.tempDir, 'progress.zip')),
    });
    assert.equal(started.status, 200, started.text);
    const { AsyncOperationId } = started.body as { AsyncOperationId: string };

    const progress: number[] = [];
    let done = false;
    const sampler = (async () => {
      while (!done) {
        const job = await client.get(`importjobs(${importJobId})?$select=progress,completedon`);
        if (job.status === 200) progress.push(Number((job.body as { progress: number }).progress));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const { row, states } = await pollAsyncOperation(client, AsyncOperationId);
    done = true;
    await sampler;
    const final = await client.get(`importjobs(${importJobId})?$select=progress,completedon`);
    progress.push(Number((final.body as { progress: number }).progress));

    assert.deepEqual(states, ['0/0', '2/20', '3/30']);
    assert.ok(row.completedon, 'completedon is set when the job completes');
    assert.ok(progress.every((p, i) => i === 0 || p >= progress[i - 1]), `progress never goes back: ${progress.join(', ')}`);
    assert.ok(progress.some((p) => p > 0 && p < 100), `progress was seen between 0 and 100: ${progress.join(', ')}`);
    assert.equal(progress[progress.length - 1], 100);
  });
});
