import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Base64ExtractError, base64JsonFileBody, Base64PropertyExtractor } from '../../../../shared/dataverse';

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
      const escaped = b64.replace(/\//g, '\\/').replace(/\+/g, '\\u002B').replace(/(.{76})/g, '$1\\r\\n');
      assert.deepEqual(await extract(`{"ExportSolutionFile":"${escaped}"}`, 'ExportSolutionFile', 3), payload);
    });

    it('fails when the property is missing, cut off, or not base64', async () => {
      await assert.rejects(extract('{"Other":"AAAA"}', 'ExportSolutionFile'), (err: Error) =>
        err instanceof Base64ExtractError && /has no "ExportSolutionFile"/.test(err.message));
      await assert.rejects(extract(`{"ExportSolutionFile":"${b64.slice(0, 100)}`, 'ExportSolutionFile'), /ended in the middle of "ExportSolutionFile"/);
      await assert.rejects(extract('{"ExportSolutionFile":"AA$A"}', 'ExportSolutionFile'), /is not base64/);
    });

    it('streams a 48 MB file through encoder and extractor with memory that does not grow with the size', async function () {
      this.timeout(120_000);
      const size = 48 * 1024 * 1024;
      const source = path.join(dir, 'big.zip');
      const sourceHash = createHash('sha256');
      await pipeline(generated(size, 7), new Writable({
        write(chunk: Buffer, _e, done) { sourceHash.update(chunk); done(); },
      }));
      await pipeline(generated(size, 7), fs.createWriteStream(source));
      const upload = await base64JsonFileBody({ Managed: true }, 'ExportSolutionFile', source);

      const before = process.memoryUsage();
      let peak = 0;
      const sample = () => {
        const now = process.memoryUsage();
        peak = Math.max(peak, now.heapUsed - before.heapUsed + now.arrayBuffers - before.arrayBuffers);
      };
      const timer = setInterval(sample, 5);
      const extractor = new Base64PropertyExtractor('ExportSolutionFile');
      const outHash = createHash('sha256');
      try {
        await pipeline(upload.body(), extractor, new Writable({
          write(chunk: Buffer, _e, done) { outHash.update(chunk); sample(); done(); },
        }));
      } finally {
        clearInterval(timer);
      }
      assert.equal(extractor.bytes, size);
      assert.equal(outHash.digest('hex'), sourceHash.digest('hex'));
      // The body alone is 64 MB of base64 text; what stays in memory at once must be a small fraction of it.
      assert.ok(peak < 24 * 1024 * 1024, `peak memory growth ${Math.round(peak / 1024 / 1024)} MB`);
    });
  });
});
