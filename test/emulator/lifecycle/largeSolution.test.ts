/**
 * Large files (issue 3 §6): a 50 MB solution (incompressible component file) is imported and exported
 * while the emulator streams bodies to and from disk, so memory grows far less than the file size.
 * Client and emulator share this process: the client streams too, so the measurement covers both.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as yauzl from 'yauzl';
import { writeSolutionZip } from '../fixtures/solutionZip';
import { type Harness, pollAsyncOperation, startHarness } from './harness';

const FILE_BYTES = 50 * 1024 * 1024;

/** A full garbage collection (so the samples show what is retained, not garbage awaiting collection). */
function collector(): () => void {
  v8.setFlagsFromString('--expose_gc');
  return vm.runInNewContext('gc') as () => void;
}

function base64Encoder(): Transform {
  let carry: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _e, done) {
      const all = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const usable = all.length - (all.length % 3);
      carry = all.subarray(usable);
      done(null, all.subarray(0, usable).toString('base64'));
    },
    flush(done) { done(null, carry.toString('base64')); },
  });
}

/** Streams `{ ...fields, CustomizationFile: base64(file) }` as the body of a POST; the response body is returned as text. */
async function postWithFile(url: string, token: string, fields: Record<string, unknown>, file: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: {
      Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'OData-Version': '4.0', 'OData-MaxVersion': '4.0' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.write(`${JSON.stringify(fields).slice(0, -1)},"CustomizationFile":"`);
    const encoder = base64Encoder();
    pipeline(fs.createReadStream(file), encoder, async function* (source: AsyncIterable<string>) {
      for await (const chunk of source) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end('"}');
      yield* [];
    }).catch(reject);
  });
}

/** POSTs a small JSON body and writes the decoded ExportSolutionFile of the answer to `outFile`, streaming. */
async function exportToFile(url: string, token: string, body: unknown, outFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: {
      Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => {
      if (res.statusCode !== 200) { reject(new Error(`export answered ${res.statusCode}`)); return; }
      const marker = '"ExportSolutionFile":"';
      let head = '';
      let inValue = false;
      let pending = '';
      const out = fs.createWriteStream(outFile);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        let text = chunk;
        if (!inValue) {
          head += text;
          const at = head.indexOf(marker);
          if (at < 0) return;
          inValue = true;
          text = head.slice(at + marker.length);
        }
        const end = text.indexOf('"');
        const part = pending + (end >= 0 ? text.slice(0, end) : text);
        const usable = end >= 0 ? part.length : part.length - (part.length % 4);
        if (!out.write(Buffer.from(part.slice(0, usable), 'base64'))) { res.pause(); out.once('drain', () => res.resume()); }
        pending = part.slice(usable);
      });
      res.on('end', () => out.end(() => resolve(fs.statSync(outFile).size)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
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
    let peakRss = baseline.rss;
    let peakRetained = baseline.heapUsed + baseline.external;
    const sampler = setInterval(() => {
      gc();
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakRetained = Math.max(peakRetained, m.heapUsed + m.external);
    }, 25);
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
    assert.ok(retainedGrowth < FILE_BYTES / 5, `retained heap+external grew by ${retainedGrowth} bytes during the operation`);
    assert.ok(rssGrowth < FILE_BYTES, `RSS grew by ${rssGrowth} bytes`);
  });
});
