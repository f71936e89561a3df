import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Base64ExtractError, base64JsonFileBody, Base64PropertyExtractor } from '../../../../shared/dataverse';

/** The V8 collector, exposed at run time (the test process is not started with --expose-gc). */
function forceGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

async function collect(readable: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of readable) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

async function extract(json: string | Buffer, property: string, chunkSize = 7): Promise<Buffer> {
  const bytes = Buffer.isBuffer(json) ? json : Buffer.from(json, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return collect(Readable.from(chunks).pipe(new Base64PropertyExtractor(property)));
}

/** Yields `total` pseudo-random bytes in 1 MB chunks, generating them as they are read. */
function generated(total: number, seed: number): Readable {
  let left = total;
  let state = seed;
  return new Readable({
    read() {
      if (left <= 0) { this.push(null); return; }
      const n = Math.min(left, 1024 * 1024);
      const chunk = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i += 4) { state = (Math.imul(state, 1664525) + 1013904223) >>> 0; chunk.writeUInt32LE(state, i); }
      left -= n;
      this.push(chunk);
    },
  });
}

describe('base64 streams for solution files', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'b64-')); });
  afterEach(async () => { await fs.promises.rm(dir, { recursive: true, force: true }); });

  describe('request body {...fields, CustomizationFile: base64(file)}', () => {
    for (const size of [0, 1, 2, 3, 4, 200_001]) {
      it(`is valid JSON with the exact Content-Length for a ${size}-byte file, and each call gives a fresh stream`, async () => {
        const file = path.join(dir, 'in.zip');
        const data = randomBytes(size);
        await fs.promises.writeFile(file, data);
        const upload = await base64JsonFileBody({ OverwriteUnmanagedCustomizations: false, ImportJobId: 'a"b' }, 'CustomizationFile', file);
        for (let attempt = 0; attempt < 2; attempt++) {
          const body = await collect(upload.body());
          assert.equal(body.length, upload.length);
          assert.equal(upload.headers['Content-Length'], String(body.length));
          const parsed = JSON.parse(body.toString('utf8')) as Record<string, string>;
          assert.equal(parsed.ImportJobId, 'a"b');
          assert.equal(parsed.OverwriteUnmanagedCustomizations, false);
          assert.deepEqual(Buffer.from(parsed.CustomizationFile, 'base64'), data);
        }
      });
    }

    it('works without other fields', async () => {
      const file = path.join(dir, 'in.zip');
      await fs.promises.writeFile(file, 'PK');
      const upload = await base64JsonFileBody({}, 'CustomizationFile', file);
      assert.equal((await collect(upload.body())).toString(), '{"CustomizationFile":"UEs="}');
    });

    it('fails the attempt when the file changed size after the body was prepared', async () => {
      const file = path.join(dir, 'in.zip');
      await fs.promises.writeFile(file, 'abc');
      const upload = await base64JsonFileBody({}, 'CustomizationFile', file);
      await fs.promises.writeFile(file, 'abcdef');
      await assert.rejects(collect(upload.body()), /changed size while it was being sent/);
    });
  });

  describe('extracting a base64 property from a JSON response', () => {
    const payload = randomBytes(1000);
    const b64 = payload.toString('base64');

    it('decodes the value whatever the chunk boundaries, skipping other properties and nested values', async () => {
      const json = JSON.stringify({
        '@odata.context': 'https://x/$metadata#Microsoft.Dynamics.CRM.DownloadSolutionExportDataResponse',
        nested: { ExportSolutionFile: 'AAAA', list: ['ExportSolutionFile', { a: '"}' }] },
        'Export\\"SolutionFile': 'BBBB',
        ExportSolutionFile: b64,
        after: 'x',
      });
      for (const size of [1, 2, 3, 5, 64, 4096]) {
        assert.deepEqual(await extract(json, 'ExportSolutionFile', size), payload, `chunk size ${size}`);
      }
    });

    it('accepts JSON escapes (\\/ and \\u002B) and line breaks in the value', async () => {
      // Line breaks every 76 characters (as .NET's base64 line option), then the escapes, so no escape is split.
      const escaped = b64.replace(/(.{76})/g, '$1|').replace(/\//g, '\\/').replace(/\+/g, '\\u002B').replace(/\|/g, '\\r\\n');
      assert.deepEqual(await extract(`{"ExportSolutionFile":"${escaped}"}`, 'ExportSolutionFile', 3), payload);
    });

    it('fails when the property is missing, cut off, or not base64', async () => {
      await assert.rejects(extract('{"Other":"AAAA"}', 'ExportSolutionFile'), (err: Error) =>
        err instanceof Base64ExtractError && /has no "ExportSolutionFile"/.test(err.message));
      await assert.rejects(extract(`{"ExportSolutionFile":"${b64.slice(0, 100)}`, 'ExportSolutionFile'), /ended in the middle of "ExportSolutionFile"/);
      await assert.rejects(extract('{"ExportSolutionFile":"AA$A"}', 'ExportSolutionFile'), /is not base64/);
    });

    it('streams a 48 MB file through encoder and extractor holding only a few chunks in memory', async function () {
      this.timeout(120_000);
      const size = 48 * 1024 * 1024;
      const source = path.join(dir, 'big.zip');
      const sourceHash = createHash('sha256');
      await pipeline(generated(size, 7), new Writable({
        write(chunk: Buffer, _e, done) { sourceHash.update(chunk); done(); },
      }));
      await pipeline(generated(size, 7), fs.createWriteStream(source));
      const upload = await base64JsonFileBody({ Managed: true }, 'ExportSolutionFile', source);

      // Live memory is measured right after full collections (two: buffers are released by the first one's
      // finalizers), so garbage not yet collected does not count.
      const gc = forceGc();
      const live = () => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
      const baseline = live();
      let peak = 0;
      let sinceSample = 0;
      let largestChunk = 0;
      const extractor = new Base64PropertyExtractor('ExportSolutionFile');
      const outHash = createHash('sha256');
      await pipeline(upload.body(), extractor, new Writable({
        write(chunk: Buffer, _e, done) {
          outHash.update(chunk);
          largestChunk = Math.max(largestChunk, chunk.length);
          sinceSample += chunk.length;
          if (sinceSample >= 4 * 1024 * 1024) {
            sinceSample = 0;
            peak = Math.max(peak, live() - baseline);
          }
          done();
        },
      }));
      assert.equal(extractor.bytes, size);
      assert.equal(outHash.digest('hex'), sourceHash.digest('hex'));
      assert.ok(largestChunk <= 256 * 1024, `largest decoded chunk ${largestChunk} bytes`);
      // The body is 64 MB of base64 text for a 48 MB file; what is alive at once must be a few chunks.
      assert.ok(peak < 8 * 1024 * 1024, `live memory grew by ${Math.round(peak / 1024 / 1024)} MB`);
    });
  });
});
