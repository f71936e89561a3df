/** In-process checks of the module's building blocks: versions, the streaming body reader, OData parsing, zip reading. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { readActionBody } from '../../../emulator/dataverse/actionBody';
import { ACTIONS } from '../../../emulator/dataverse/actionSpecs';
import { ODataFailure } from '../../../emulator/dataverse/errors';
import { parseQuery, runQuery, type TableSchema } from '../../../emulator/dataverse/odataQuery';
import { InvalidSolutionFileError, readSolutionPackage } from '../../../emulator/dataverse/solutionPackage';
import { compareVersions, parseVersion } from '../../../emulator/dataverse/version';
import { writeSolutionZip } from '../fixtures/solutionZip';

function request(body: string, chunkSize: number): IncomingMessage {
  const bytes = Buffer.from(body, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks) as unknown as IncomingMessage;
}

describe('emulator lifecycle: internals', () => {
  let tempDir: string;
  before(async () => { tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'lifecycle-unit-')); });
  after(async () => { await fs.promises.rm(tempDir, { recursive: true, force: true }); });

  describe('versions', () => {
    it('parses two to four numeric parts and compares numerically, missing parts as 0', () => {
      assert.deepEqual(parseVersion('1.2.3.4'), [1, 2, 3, 4]);
      assert.equal(parseVersion('1'), undefined);
      assert.equal(parseVersion('1.2.3.4.5'), undefined);
      assert.equal(parseVersion('1.a'), undefined);
      assert.ok(compareVersions('1.10', '1.9.9.9') > 0);
      assert.equal(compareVersions('1.0', '1.0.0.0'), 0);
      assert.ok(compareVersions('9.0.2403', '9.0.2405.3013') < 0);
    });
  });

  describe('streaming action body', () => {
    const payload = Buffer.from(Array.from({ length: 3000 }, (_v, i) => i % 256));

    for (const chunkSize of [1, 7, 4096]) {
      it(`decodes CustomizationFile to disk and parses the other values (chunks of ${chunkSize} bytes, escaped '/' and '+')`, async () => {
        const b64 = payload.toString('base64').replace(/\//g, '\\/').replace(/\+/g, '\\u002B');
        const body = `{ "OverwriteUnmanagedCustomizations": false, "PublishWorkflows": true, "CustomizationFile": "${b64}",` +
          ` "ImportJobId": "0f8fad5b-d9cb-469f-a165-70867728950e", "ComponentParameters": [{"@odata.type": "Microsoft.Dynamics.CRM.environmentvariablevalue", "schemaname": "a_b", "value": "x,}\\"y"}] }`;
        const parsed = await readActionBody(request(body, chunkSize), ACTIONS.ImportSolution, tempDir);
        assert.deepEqual(fs.readFileSync(parsed.binaries.CustomizationFile.path), payload);
        assert.equal(parsed.binaries.CustomizationFile.size, payload.length);
        assert.equal(parsed.values.PublishWorkflows, true);
        assert.equal((parsed.values.ComponentParameters as { value: string }[])[0].value, 'x,}"y');
      });
    }

    it('turns an unknown parameter into a 400 without keeping the rest of the body, and removes partial uploads', async () => {
      const body = `{"CustomizationFile": "${payload.toString('base64')}", "customizationfile": "${'A'.repeat(100000)}"}`;
      const before = fs.readdirSync(tempDir).length;
      await assert.rejects(readActionBody(request(body, 1000), ACTIONS.StageSolution, tempDir), (err: unknown) =>
        err instanceof ODataFailure && err.status === 400 && /'customizationfile' .* not a valid parameter for the operation 'StageSolution'/.test(err.message));
      assert.equal(fs.readdirSync(tempDir).length, before);
    });

    it('rejects duplicate parameters, trailing content and truncated bodies', async () => {
      for (const body of ['{"ExportJobId":"0f8fad5b-d9cb-469f-a165-70867728950e","ExportJobId":"0f8fad5b-d9cb-469f-a165-70867728950e"}',
        '{"ExportJobId":"0f8fad5b-d9cb-469f-a165-70867728950e"} x', '{"ExportJobId":"0f8fad5b-d9cb-469f-a165-70867728950e"', '[1]']) {
        await assert.rejects(readActionBody(request(body, 5), ACTIONS.DownloadSolutionExportData, tempDir), (err: unknown) => err instanceof ODataFailure && err.status === 400, body);
      }
    });

    it('accepts an empty body for an action without parameters', async () => {
      const parsed = await readActionBody(request('', 1), ACTIONS.PublishAllXml, tempDir);
      assert.deepEqual(parsed.values, {});
    });
  });

  describe('OData query subset', () => {
    const schema: TableSchema = { entitySet: 'things', entity: 'thing', key: 'id', columns: ['id', 'name', 'n', 'on'] };
    const rows = [
      { id: 'a', name: "O'Brien", n: 3, on: true },
      { id: 'b', name: 'beta', n: 1, on: false },
      { id: 'c', name: 'Gamma', n: 2, on: true },
    ];
    const run = (q: string) => runQuery(rows, parseQuery(new URLSearchParams(q), schema), schema, () => null).rows.map((r) => r.id);

    it('filters with eq/ne/gt and/or/not and parentheses, strings case-insensitively, with escaped quotes', () => {
      assert.deepEqual(run("$filter=name eq 'o''brien'"), ['a']);
      assert.deepEqual(run('$filter=on eq true and (n gt 2 or n le 1)'), ['a']);
      assert.deepEqual(run('$filter=not (on eq true)'), ['b']);
      assert.deepEqual(run("$filter=name ne 'BETA'&$orderby=n desc&$top=1"), ['a']);
    });

    it('projects $select (the key always included) and orders', () => {
      const result = runQuery(rows, parseQuery(new URLSearchParams('$select=name&$orderby=name'), schema), schema, () => null);
      assert.deepEqual(result.rows, [{ name: 'beta', id: 'b' }, { name: 'Gamma', id: 'c' }, { name: "O'Brien", id: 'a' }]);
      assert.equal(result.contextSuffix, 'things(name)');
    });

    it('refuses unsupported options and bad syntax', () => {
      for (const q of ['$skip=1', '$filter=startswith(name,\'a\')', "$filter=name eq 'x", '$filter=name eq', '$orderby=name sideways', '$filter=n eq 1 xor n eq 2', 'foo=1', '$top=1&$top=2']) {
        assert.throws(() => parseQuery(new URLSearchParams(q), schema), (err: unknown) => err instanceof ODataFailure && err.status === 400, q);
      }
    });
  });

  describe('solution zip reading', () => {
    it('reads manifest, components, connection references, env vars and flows from a fixture zip', async () => {
      const zip = path.join(tempDir, 'fixture.zip');
      await writeSolutionZip({
        uniqueName: 'Reader', friendlyName: 'Reader Solution', version: '2.3.4.5', managed: true, entities: ['cts_Thing'], webResources: ['cts_/a.js'],
        connectionReferences: [{ logicalName: 'cts_ref', connectorId: '/providers/Microsoft.PowerApps/apis/shared_office365' }],
        envVars: [{ schemaName: 'cts_Var', type: 100000001, defaultValue: '1', value: '2' }],
        flows: [{ id: '55555555-cccc-4ccc-8ccc-555555555555', name: 'My flow', connectionReferences: ['cts_ref'] }],
        missingDependencies: [{ required: { type: '1', schemaName: 'msdyn_x', solution: 'FieldService (1.0)' } }],
      }, zip);
      const pkg = await readSolutionPackage(zip);
      assert.equal(pkg.manifest.uniqueName, 'Reader');
      assert.equal(pkg.manifest.friendlyName, 'Reader Solution');
      assert.equal(pkg.manifest.version, '2.3.4.5');
      assert.equal(pkg.manifest.managed, true);
      assert.equal(pkg.manifest.publisher.uniqueName, 'contoso');
      assert.equal(pkg.manifest.missingDependencies[0].required.solution, 'FieldService (1.0)');
      assert.deepEqual(pkg.connectionReferences.map((c) => c.logicalName), ['cts_ref']);
      assert.deepEqual(pkg.envVarDefinitions.map((d) => [d.schemaName, d.type, d.defaultValue]), [['cts_Var', 100000001, '1']]);
      assert.deepEqual(pkg.envVarValues.map((v) => [v.schemaName, v.value]), [['cts_Var', '2']]);
      assert.deepEqual(pkg.flows.map((f) => [f.workflowId, f.connectionReferenceNames]), [['55555555-cccc-4ccc-8ccc-555555555555', ['cts_ref']]]);
      const types = new Set(pkg.components.map((c) => c.type));
      for (const t of ['1', '2', '60', '61', '29', '380', 'connectionreference']) assert.ok(types.has(t), `component type ${t}`);
    });

    it('rejects a file that is not a zip and a zip without the root files', async () => {
      const notZip = path.join(tempDir, 'not.zip');
      fs.writeFileSync(notZip, 'plain text');
      await assert.rejects(readSolutionPackage(notZip), InvalidSolutionFileError);
      const partial = path.join(tempDir, 'partial.zip');
      await writeSolutionZip({ uniqueName: 'P', version: '1.0', managed: false }, partial);
      const yazl = await import('yazl');
      const zip = new yazl.ZipFile();
      zip.addBuffer(Buffer.from('<ImportExportXml />'), 'solution.xml');
      zip.end();
      await new Promise<void>((resolve) => zip.outputStream.pipe(fs.createWriteStream(partial)).on('finish', () => resolve()));
      await assert.rejects(readSolutionPackage(partial), /must contain the following files at its root/);
    });
  });
});
