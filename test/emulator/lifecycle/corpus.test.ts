/**
 * Conformance with the shared corpus: response shapes equal the recorded real responses field by field,
 * and every corpus zip imports into a fresh environment exactly as its <MissingDependencies> predict.
 */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_FIRST_PARTY_SOLUTIONS } from '../../../emulator/dataverse/environmentSeed';
import { corpusDir } from '../../helpers/paths';
import { type EnvClient, type Harness, pollAsyncOperation, startHarness } from './harness';

const corpus = corpusDir();

/** Asserts that `actual` has exactly the keys of `recorded`, with the same JSON types (recorded null accepts anything). */
function assertSameShape(actual: unknown, recorded: unknown, where: string): void {
  if (recorded === null) return;
  if (Array.isArray(recorded)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array`);
    if (recorded.length > 0 && actual.length > 0) assertSameShape(actual[0], recorded[0], `${where}[0]`);
    return;
  }
  if (typeof recorded === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${where}: expected an object`);
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(recorded as object).sort(), `${where}: keys differ`);
    for (const key of Object.keys(recorded as object)) {
      assertSameShape((actual as Record<string, unknown>)[key], (recorded as Record<string, unknown>)[key], `${where}.${key}`);
    }
    return;
  }
  assert.equal(typeof actual, typeof recorded, `${where}: type differs`);
}

function recorded(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(corpus as string, 'importlogs', `terraform-provider-power-platform__${name}`), 'utf8')) as Record<string, unknown>;
}

function zipBase64(name: string): string {
  return fs.readFileSync(path.join(corpus as string, 'zips', name)).toString('base64');
}

async function importAsync(client: EnvClient, base64: string): Promise<{ asyncId: string; jobId: string; response: Record<string, unknown> }> {
  const res = await client.post('ImportSolutionAsync', {
    OverwriteUnmanagedCustomizations: false, PublishWorkflows: true, CustomizationFile: base64, ImportJobId: randomUUID(),
  });
  assert.equal(res.status, 200, res.text);
  const body = res.body as { AsyncOperationId: string; ImportJobKey: string };
  return { asyncId: body.AsyncOperationId, jobId: body.ImportJobKey, response: res.body as Record<string, unknown> };
}

describe('emulator lifecycle: corpus conformance', function () {
  if (!corpus) {
    it('skipped: no corpus folder (set DATAVERSE_CORPUS or place ../shared/corpus)', () => {
      console.log('      corpus absent: response-shape and corpus-zip conformance not checked');
    });
    return;
  }
  const zips = fs.readdirSync(path.join(corpus, 'zips')).filter((z) => z.endsWith('.zip')).sort();
  let h: Harness;
  before(async () => {
    const envs: Record<string, Record<string, unknown>> = { shapes: {} };
    zips.forEach((_z, i) => { envs[`zip${i}`] = {}; });
    h = await startHarness(envs);
  });
  after(async () => { await h.stop(); });

  describe('response shapes match the recorded real responses', () => {
    const complex = 'terraform-provider-power-platform__TerraformTestSolution_Complex_1_1_0_0.zip';

    it('StageSolution (same fields, same component details as recorded for the same zip)', async () => {
      const client = await h.env('shapes');
      const res = await client.post('StageSolution', { CustomizationFile: zipBase64(complex) });
      assert.equal(res.status, 200, res.text);
      const expected = recorded('post_stage_solution.json');
      assertSameShape(res.body, expected, 'StageSolution');
      const details = (r: unknown) => ((r as { StageSolutionResults: { SolutionComponentsDetails: { ComponentTypeName: string; ComponentName: string; Attributes: unknown }[] } })
        .StageSolutionResults.SolutionComponentsDetails)
        .map((d) => JSON.stringify([d.ComponentTypeName, d.ComponentName, d.Attributes])).sort();
      assert.deepEqual(details(res.body), details(expected));
      const solution = (res.body as { StageSolutionResults: { SolutionDetails: Record<string, unknown> } }).StageSolutionResults.SolutionDetails;
      const recordedSolution = (expected.StageSolutionResults as { SolutionDetails: Record<string, unknown> }).SolutionDetails;
      assert.deepEqual(solution, recordedSolution);
    });

    it('ImportSolutionAsync, asyncoperations(id) and RetrieveSolutionImportResult', async () => {
      const client = await h.env('shapes');
      const started = await importAsync(client, zipBase64(complex));
      assertSameShape(started.response, recorded('post_import_solution_async.json'), 'ImportSolutionAsync');
      await pollAsyncOperation(client, started.asyncId);
      const op = await client.get(`asyncoperations(${started.asyncId})`);
      assert.equal(op.status, 200, op.text);
      assertSameShape(op.body, recorded('get_async_operations.json'), 'asyncoperation');
      const expectedOp = recorded('get_async_operations.json');
      for (const field of ['statecode', 'statuscode', 'messagename', 'name', 'operationtype', 'depth', 'subtype']) {
        assert.deepEqual((op.body as Record<string, unknown>)[field], expectedOp[field], `asyncoperation.${field}`);
      }
      const result = await client.get(`RetrieveSolutionImportResult(ImportJobId=${started.jobId})`);
      assert.equal(result.status, 200, result.text);
      const expectedResult = recorded('get_solution_import_result.json');
      assertSameShape(result.body, expectedResult, 'RetrieveSolutionImportResult');
      const sor = (result.body as { SolutionOperationResult: Record<string, unknown> }).SolutionOperationResult;
      assert.equal(sor.Status, 'Passed');
      assert.equal(sor.Type, 'Import');
      const formatted = sor.FormattedResults as string;
      for (const marker of ['<?mso-application progid="Excel.Sheet"?>', '<Worksheet ss:Name="Solution"', '<Worksheet ss:Name="Components"',
        '>TerraformTestSolution<', '>1.1.0.0<', '>Unmanaged<', '>Crefda7<', '>CDS Default Publisher<', 'name="ItemType"', 'name="ErrorText"']) {
        assert.ok(formatted.includes(marker), `FormattedResults lacks ${marker}`);
      }
    });
  });

  describe('each corpus zip imports into a fresh environment as its MissingDependencies predict', () => {
    const firstParty = new Map(DEFAULT_FIRST_PARTY_SOLUTIONS.map((s) => [s.uniqueName.toLowerCase(), s.version]));
    const newerOrEqual = (installed: string, required: string) => {
      const a = installed.split('.').map(Number);
      const b = required.split('.').map(Number);
      for (let i = 0; i < 4; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
      return true;
    };
    zips.forEach((zip, i) => {
      it(zip, async () => {
        const client = await h.env(`zip${i}`);
        const data = fs.readFileSync(path.join(corpus, 'zips', zip));
        // Expected verdict from the zip itself: a required solution that a fresh environment lacks (or has at a lower version) is missing.
        const manifest = await readManifestText(data);
        const required = [...manifest.matchAll(/<Required [^>]*solution="([^"]+)"/g)].map((m) => m[1]);
        const unmet = [...new Set(required.filter((ref) => {
          const m = /^(.*?) \(([\d.]+)\)$/.exec(ref);
          if (!m) return true; // "Active": an unmanaged component a fresh environment does not have
          const v = firstParty.get(m[1].toLowerCase());
          return v === undefined || !newerOrEqual(v, m[2]);
        }))];
        const started = await importAsync(client, data.toString('base64'));
        const { row } = await pollAsyncOperation(client, started.asyncId);
        const job = await client.get(`importjobs(${started.jobId})?$select=data,progress,completedon`);
        const xml = (job.body as { data: string }).data;
        if (unmet.length === 0) {
          assert.equal(row.statuscode, 30, `expected success: ${row.message}`);
          assert.match(xml, /<result result="success"/);
        } else {
          assert.equal(row.statuscode, 31, 'expected the import to fail on missing dependencies');
          for (const ref of unmet) {
            const name = ref.replace(/ \(.*$/, '');
            assert.ok((row.message ?? '').includes(name), `failure message should name ${name}: ${row.message}`);
            assert.ok(xml.includes(`solution="${ref}"`), `importjob.data should list a dependency on ${ref}`);
          }
          assert.match(xml, /<result result="failure" errorcode="0x[0-9a-f]{8}"/i);
        }
      });
    });
  });
});

/** solution.xml of a zip held in memory (corpus zips are small). */
async function readManifestText(zip: Buffer): Promise<string> {
  const yauzl = await import('yauzl');
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, z) => {
      if (err || !z) { reject(err); return; }
      z.on('entry', (entry: { fileName: string }) => {
        if (entry.fileName !== 'solution.xml') { z.readEntry(); return; }
        z.openReadStream(entry as never, (e2, stream) => {
          if (e2 || !stream) { reject(e2); return; }
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        });
      });
      z.on('end', () => reject(new Error('no solution.xml')));
      z.readEntry();
    });
  });
}
