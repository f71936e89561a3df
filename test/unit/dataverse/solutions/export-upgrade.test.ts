import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  deleteAndPromote, exportSolution, getActiveSolutionOperation, getEnvironmentVariables, getSolutionConfiguration, listSolutions,
  publishAllCustomizations,
} from '../../../../shared/dataverse';
import { odataError, reply, startLocalDataverse, type LocalDataverse } from './local-dataverse';

const POLL = { pollIntervalMs: 5, maxPollIntervalMs: 10 };
const ASYNC_ID = '0b7a6c1e-1111-4111-8111-000000000003';
const EXPORT_JOB = '0b7a6c1e-1111-4111-8111-000000000004';
const publisher = { publisherid: 'p1', uniquename: 'contoso', friendlyname: 'Contoso', customizationprefix: 'cts' };

function solutionRow(uniquename: string, version: string, ismanaged: boolean): Record<string, unknown> {
  return { '@odata.etag': 'W/"1"', solutionid: `id-${uniquename}`, uniquename, friendlyname: uniquename, version, ismanaged, isvisible: true, publisherid: publisher };
}

/** Answers `solutions?$filter=uniquename eq '<name>'` from `rows` (by name, case-insensitive), and the full list otherwise. */
function serveSolutions(dv: LocalDataverse, rows: () => Array<Record<string, unknown>>): void {
  dv.routes.set('GET solutions', (req, res) => {
    const filter = new URL(req.url ?? '', 'http://x').searchParams.get('$filter') ?? '';
    const name = /uniquename eq '([^']*)'/.exec(filter)?.[1];
    const managed = /ismanaged eq (true|false)/.exec(filter)?.[1];
    reply(res, 200, { value: rows().filter((r) => (name === undefined || String(r.uniquename).toLowerCase() === name.toLowerCase()) &&
      (managed === undefined || String(r.ismanaged) === managed)) });
  });
}

describe('export, delete-and-promote, publish and queries against a scripted Dataverse', () => {
  let dv: LocalDataverse;
  let dir: string;
  beforeEach(async () => {
    dv = await startLocalDataverse();
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'export-'));
    dv.routes.set('GET asyncoperations', (_q, res, _b, n) =>
      reply(res, 200, { asyncoperationid: ASYNC_ID, statecode: n < 2 ? 2 : 3, statuscode: n < 2 ? 20 : 30 }));
  });
  afterEach(async () => {
    await dv.close();
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  describe('exportSolution', () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), randomBytes(2 * 1024 * 1024)]);

    beforeEach(() => {
      serveSolutions(dv, () => [solutionRow('Contoso', '1.3.0.0', false), solutionRow('Fabrikam', '2.0.0.0', false), solutionRow('Managed1', '1.0.0.0', true)]);
      dv.routes.set('POST ExportSolutionAsync', (_q, res) => reply(res, 200, { AsyncOperationId: ASYNC_ID, ExportJobId: EXPORT_JOB }));
    });

    /** Streams `{"@odata.context":…,"ExportSolutionFile":"<base64>"}` in small writes; `cutAt` ends the connection early. */
    function serveDownload(file: Buffer, cutAt?: (attempt: number) => number | undefined): void {
      dv.routes.set('POST DownloadSolutionExportData', (_q, res, _b, attempt) => {
        const text = Buffer.from(`{"@odata.context":"x#Microsoft.Dynamics.CRM.DownloadSolutionExportDataResponse","ExportSolutionFile":"${file.toString('base64')}"}`);
        const cut = cutAt?.(attempt);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(text.length) });
        const end = cut ?? text.length;
        let at = 0;
        const next = (): void => {
          if (at >= end) {
            if (cut !== undefined) res.socket?.destroy();
            else res.end();
            return;
          }
          const piece = text.subarray(at, Math.min(end, at + 65_536));
          at += piece.length;
          if (res.write(piece)) setImmediate(next);
          else res.once('drain', next);
        };
        next();
      });
    }

    it('starts ExportSolutionAsync with the settings, waits, and streams the download to the file', async () => {
      serveDownload(zip);
      const outFile = path.join(dir, 'out', 'Contoso_managed.zip');
      const result = await exportSolution(dv.client, {
        uniqueName: 'contoso', managed: true, settings: { general: true, autoNumbering: false }, outFile, poll: POLL,
      });
      assert.deepEqual(JSON.parse(dv.requests('POST ExportSolutionAsync')[0].body.toString()), {
        SolutionName: 'Contoso', Managed: true, ExportAutoNumberingSettings: false, ExportGeneralSettings: true,
      });
      assert.deepEqual(JSON.parse(dv.requests('POST DownloadSolutionExportData')[0].body.toString()), { ExportJobId: EXPORT_JOB });
      assert.deepEqual(await fs.promises.readFile(outFile), zip);
      assert.deepEqual({ ...result, outFile: undefined }, { outFile: undefined, bytes: zip.length, version: '1.3.0.0', asyncOperationId: ASYNC_ID });
      assert.deepEqual(await fs.promises.readdir(path.dirname(outFile)), ['Contoso_managed.zip']);
    });

    it('retries a download cut off mid-stream, leaving no partial file', async () => {
      serveDownload(zip, (attempt) => (attempt === 1 ? 500_000 : undefined));
      const outFile = path.join(dir, 'Contoso.zip');
      await exportSolution(dv.client, { uniqueName: 'Contoso', managed: false, outFile, poll: POLL });
      assert.equal(dv.requests('POST DownloadSolutionExportData').length, 2);
      assert.deepEqual(await fs.promises.readFile(outFile), zip);
      assert.deepEqual(await fs.promises.readdir(dir), ['Contoso.zip']);
    });

    it('gives up after repeated cut-offs with no file at all', async () => {
      serveDownload(zip, () => 300_000);
      const outFile = path.join(dir, 'Contoso.zip');
      await assert.rejects(exportSolution(dv.client, { uniqueName: 'Contoso', managed: false, outFile, poll: POLL }), (err: Error) =>
        /^The download of the exported solution \(export job 0b7a6c1e-1111-4111-8111-000000000004\) was interrupted 3 times; last: .*run the export again/.test(err.message));
      assert.equal(dv.requests('POST DownloadSolutionExportData').length, 3);
      assert.deepEqual(await fs.promises.readdir(dir), []);
    });

    it('refuses a download that is not a zip', async () => {
      serveDownload(Buffer.from('<html>error</html>'));
      const outFile = path.join(dir, 'Contoso.zip');
      await assert.rejects(exportSolution(dv.client, { uniqueName: 'Contoso', managed: false, outFile, poll: POLL }), /are not a zip file/);
      assert.deepEqual(await fs.promises.readdir(dir), []);
    });

    it('a missing solution is a clear error naming the unmanaged solutions there; a managed one cannot be exported', async () => {
      const outFile = path.join(dir, 'x.zip');
      await assert.rejects(exportSolution(dv.client, { uniqueName: 'Contsoo', managed: false, outFile, poll: POLL }), (err: Error) => {
        assert.match(err.message, /^Solution 'Contsoo' was not found in http:\/\/127\.0\.0\.1:\d+\. Unmanaged solutions there: Contoso, Fabrikam\. Use the solution's unique name/);
        return true;
      });
      await assert.rejects(exportSolution(dv.client, { uniqueName: 'Managed1', managed: true, outFile, poll: POLL }), /is managed in .*only unmanaged solutions can be exported/);
      assert.equal(dv.requests('POST ExportSolutionAsync').length, 0);
    });
  });

  describe('deleteAndPromote', () => {
    it('promotes the holding solution and returns the new version', async () => {
      let promoted = false;
      serveSolutions(dv, () => promoted ? [solutionRow('Contoso', '2.0.0.0', true)] : [solutionRow('Contoso', '1.0.0.0', true), solutionRow('Contoso_Upgrade', '2.0.0.0', true)]);
      dv.routes.set('POST DeleteAndPromoteAsync', (_q, res) => { promoted = true; reply(res, 200, { AsyncOperationId: ASYNC_ID }); });
      const result = await deleteAndPromote(dv.client, 'Contoso', { poll: POLL });
      assert.deepEqual(JSON.parse(dv.requests('POST DeleteAndPromoteAsync')[0].body.toString()), { UniqueName: 'Contoso' });
      assert.equal(result.previousVersion, '1.0.0.0');
      assert.equal(result.solution?.version, '2.0.0.0');
      assert.equal(result.solution?.publisher?.uniquename, 'contoso');
    });

    it('says what to do when there is no holding solution', async () => {
      serveSolutions(dv, () => [solutionRow('Contoso', '1.0.0.0', true)]);
      await assert.rejects(deleteAndPromote(dv.client, 'Contoso', { poll: POLL }),
        /there is no holding solution 'Contoso_Upgrade'\. Import the new version with holdingSolution first/);
    });

    it('after an ambiguous failure, confirms the promotion by the holding solution disappearing (no re-send)', async () => {
      let reads = 0;
      serveSolutions(dv, () => (++reads > 4 ? [solutionRow('Contoso', '2.0.0.0', true)] : [solutionRow('Contoso', '1.0.0.0', true), solutionRow('Contoso_Upgrade', '2.0.0.0', true)]));
      dv.routes.set('POST DeleteAndPromoteAsync', (_q, res) => odataError(res, 502, '', 'Bad Gateway'));
      const result = await deleteAndPromote(dv.client, 'Contoso', { poll: POLL });
      assert.equal(dv.requests('POST DeleteAndPromoteAsync').length, 1);
      assert.equal(result.solution?.version, '2.0.0.0');
    });

    it('a connection reset after DeleteAndPromoteAsync was sent is not re-sent either; the holding solution still there says so', async () => {
      serveSolutions(dv, () => [solutionRow('Contoso', '1.0.0.0', true), solutionRow('Contoso_Upgrade', '2.0.0.0', true)]);
      dv.routes.set('POST DeleteAndPromoteAsync', (req) => req.socket.destroy());
      await assert.rejects(deleteAndPromote(dv.client, 'Contoso', { poll: POLL, timeoutMs: 200 }), (err: Error) => {
        assert.match(err.message, /^DeleteAndPromoteAsync for 'Contoso' may or may not have started: .*ECONNRESET.*was not sent again/);
        return true;
      });
      assert.equal(dv.requests('POST DeleteAndPromoteAsync').length, 1);
    });
  });

  it('publishAllCustomizations waits out the lock, then polls PublishAllXmlAsync', async () => {
    dv.routes.set('POST PublishAllXmlAsync', (_q, res, _b, n) => n === 1
      ? odataError(res, 429, '0x80071151', 'Cannot start the requested operation [PublishAll] because there is another [Import] running at this moment.')
      : reply(res, 200, { AsyncOperationId: ASYNC_ID }));
    assert.deepEqual(await publishAllCustomizations(dv.client, { poll: POLL }), { asyncOperationId: ASYNC_ID });
    assert.equal(dv.requests('POST PublishAllXmlAsync').length, 2);
    assert.equal(dv.requests('GET asyncoperations').length, 2);
    dv.routes.set('POST PublishAllXml', (_q, res) => { res.writeHead(204); res.end(); });
    assert.deepEqual(await publishAllCustomizations(dv.client, { async: false }), {});
  });

  describe('queries', () => {
    it('lists visible solutions with publishers, without etags', async () => {
      serveSolutions(dv, () => [solutionRow('Contoso', '1.0.0.0', true)]);
      const list = await listSolutions(dv.client);
      assert.deepEqual(list, [{ solutionid: 'id-Contoso', uniquename: 'Contoso', friendlyname: 'Contoso', version: '1.0.0.0', ismanaged: true, isvisible: true, publisher }]);
      const query = dv.requests('GET solutions')[0].query;
      assert.equal(query.get('$filter'), 'isvisible eq true');
      assert.equal(query.get('$expand'), 'publisherid($select=publisherid,uniquename,friendlyname,customizationprefix)');
    });

    it('reads a solution\'s connection references and environment variables (with values) through its components', async () => {
      dv.routes.set('GET msdyn_solutioncomponentsummaries', (_q, res) => reply(res, 200, { value: [
        { msdyn_componenttype: 10112, msdyn_componenttypename: 'connectionreference', msdyn_schemaname: 'cts_sp', msdyn_name: 'cts_sp' },
        { msdyn_componenttype: 380, msdyn_componenttypename: 'Environment Variable Definition', msdyn_schemaname: 'cts_Url', msdyn_name: 'Url' },
        { msdyn_componenttype: 1, msdyn_componenttypename: 'Entity', msdyn_schemaname: 'cts_task' },
      ] }));
      dv.routes.set('GET connectionreferences', (_q, res) => reply(res, 200, { value: [{ '@odata.etag': 'e', connectionreferenceid: 'c1', connectionreferencelogicalname: 'cts_sp', connectorid: '/providers/Microsoft.PowerApps/apis/shared_sharepointonline', connectionid: null }] }));
      dv.routes.set('GET environmentvariabledefinitions', (_q, res) => reply(res, 200, { value: [{ environmentvariabledefinitionid: 'd1', schemaname: 'cts_Url', type: 100000000, defaultvalue: 'https://default' }] }));
      dv.routes.set('GET environmentvariablevalues', (_q, res) => reply(res, 200, { value: [{ environmentvariablevalueid: 'v1', schemaname: 'cts_Url', value: 'https://test', _environmentvariabledefinitionid_value: 'd1' }] }));
      const config = await getSolutionConfiguration(dv.client, '11111111-2222-4333-8444-555555555555');
      assert.deepEqual(config.connectionReferences, [{ connectionreferenceid: 'c1', connectionreferencelogicalname: 'cts_sp', connectorid: '/providers/Microsoft.PowerApps/apis/shared_sharepointonline', connectionid: null }]);
      assert.deepEqual(config.environmentVariables, [{ environmentvariabledefinitionid: 'd1', schemaname: 'cts_Url', type: 100000000, defaultvalue: 'https://default', value: { environmentvariablevalueid: 'v1', value: 'https://test' } }]);
      assert.equal(dv.requests('GET msdyn_solutioncomponentsummaries')[0].query.get('$filter'), 'msdyn_solutionid eq 11111111-2222-4333-8444-555555555555');
      assert.equal(dv.requests('GET connectionreferences')[0].query.get('$filter'), "connectionreferencelogicalname eq 'cts_sp'");
    });

    it('batches names in filters and escapes quotes', async () => {
      dv.routes.set('GET environmentvariabledefinitions', (_q, res) => reply(res, 200, { value: [] }));
      dv.routes.set('GET environmentvariablevalues', (_q, res) => reply(res, 200, { value: [] }));
      const names = Array.from({ length: 30 }, (_, i) => `cts_v${i}`).concat("O'Brien");
      assert.deepEqual(await getEnvironmentVariables(dv.client, names), []);
      const filters = dv.requests('GET environmentvariabledefinitions').map((r) => r.query.get('$filter') ?? '');
      assert.equal(filters.length, 2);
      assert.equal(filters[0].split(' or ').length, 25);
      assert.match(filters[1], /schemaname eq 'O''Brien'$/);
    });

    it('the active solution operation comes from Solution History, best effort', async () => {
      dv.routes.set('GET msdyn_solutionhistories', (_q, res) => reply(res, 200, { value: [
        { msdyn_name: 'Contoso', msdyn_operation: 0, msdyn_suboperation: 2, msdyn_solutionversion: '2.0.0.0', msdyn_starttime: '2026-01-01T00:00:00Z' },
      ] }));
      assert.deepEqual(await getActiveSolutionOperation(dv.client), {
        solutionName: 'Contoso', operation: 'Import', subOperation: 'Upgrade', version: '2.0.0.0', startedOn: '2026-01-01T00:00:00Z',
      });
      assert.equal(dv.requests('GET msdyn_solutionhistories')[0].query.get('$filter'), 'msdyn_status eq 0');
      dv.routes.set('GET msdyn_solutionhistories', (_q, res) => odataError(res, 403, '0x80040220', 'PrivilegeDenied'));
      assert.equal(await getActiveSolutionOperation(dv.client), undefined);
    });
  });
});
