/** Each solution action over HTTP: happy path and the main failures (protocol.md §3, issue 3 §2, §4, §5). */
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as yazl from 'yazl';
import { DEFAULTS } from '../../../emulator';
import { type FixtureSolution, solutionZipBase64 } from '../fixtures/solutionZip';
import { type EnvClient, errorOf, type Harness, pollAsyncOperation, startHarness } from './harness';

const SHAREPOINT = '/providers/Microsoft.PowerApps/apis/shared_sharepointonline';
const OUTLOOK = '/providers/Microsoft.PowerApps/apis/shared_office365';

describe('emulator lifecycle: actions', () => {
  let h: Harness;
  let n = 0;
  const b64 = (s: FixtureSolution) => solutionZipBase64(s, path.join(h.tempDir, `f${n++}.zip`));
  const importBody = async (s: FixtureSolution, extra: Record<string, unknown> = {}) => ({
    OverwriteUnmanagedCustomizations: false, PublishWorkflows: true, CustomizationFile: await b64(s), ImportJobId: randomUUID(), ...extra,
  });
  async function importAsyncAndWait(client: EnvClient, body: Record<string, unknown>, action = 'ImportSolutionAsync') {
    const res = await client.post(action, body);
    assert.equal(res.status, 200, res.text);
    const ids = res.body as { AsyncOperationId: string; ImportJobKey: string };
    const polled = await pollAsyncOperation(client, ids.AsyncOperationId);
    return { ...polled, jobId: ids.ImportJobKey };
  }
  async function solutionRow(client: EnvClient, name: string) {
    const res = await client.get(`solutions?$select=uniquename,version,ismanaged&$filter=uniquename eq '${name}'`);
    return (res.body as { value: { uniquename: string; version: string; ismanaged: boolean; solutionid: string }[] }).value[0];
  }

  before(async () => {
    // Connections are shared by client id here (the emulator also accepts the application user's object id).
    const app = DEFAULTS.clientId;
    h = await startHarness({
      a: {}, b: {}, c: {}, slow: { timeScale: 1 },
      deps: { unmanagedComponents: [{ type: 61, schemaName: 'new_/shared/util.js' }] },
      bare: { systemTables: [] },
      conn: {
        connections: [
          { id: 'conn-sp-shared', connectorId: SHAREPOINT, owner: 'someone-else', sharedWith: [app] },
          { id: 'conn-sp-private', connectorId: SHAREPOINT, owner: 'someone-else', sharedWith: [] },
          { id: 'conn-mail-mine', connectorId: OUTLOOK, owner: app },
        ],
      },
    });
  });
  after(async () => { await h.stop(); });

  describe('ImportSolution (synchronous)', () => {
    it('answers 204; the client-supplied ImportJobId becomes the importjob with progress 100 and a success log', async () => {
      const client = await h.env('a');
      const body = await importBody({ uniqueName: 'SyncOne', version: '1.0.0.0', managed: true, entities: ['cts_Order'] });
      const res = await client.post('ImportSolution', body);
      assert.equal(res.status, 204, res.text);
      const job = await client.get(`importjobs(${body.ImportJobId as string})?$select=progress,completedon,startedon,solutionname,data,importcontext`);
      const row = job.body as { progress: number; completedon: string; solutionname: string; data: string; importcontext: string };
      assert.equal(row.progress, 100);
      assert.ok(row.completedon);
      assert.equal(row.solutionname, 'SyncOne');
      assert.equal(row.importcontext, 'ImportInstall');
      assert.match(row.data, /^<importexportxml [^>]*succeeded="true"/);
      assert.match(row.data, /<solutionManifest [^>]*id="SyncOne"[^>]*><UniqueName>SyncOne<\/UniqueName>.*<Version>1\.0\.0\.0<\/Version>.*<result result="success"/);
      assert.match(row.data, /<entities><entity id="cts_Order"/);
      assert.deepEqual(await solutionRow(client, 'SyncOne'), { ...(await solutionRow(client, 'SyncOne')), uniquename: 'SyncOne', version: '1.0.0.0', ismanaged: true });
    });

    it('fails with an OData error when the version is older than the installed one, and the importjob says why', async () => {
      const client = await h.env('a');
      const body = await importBody({ uniqueName: 'SyncOne', version: '0.9.0.0', managed: true });
      const res = await client.post('ImportSolution', body);
      assert.equal(res.status, 400);
      assert.match(errorOf(res).message, /version 0\.9\.0\.0 cannot be imported because a later version \(1\.0\.0\.0\) is already installed/);
      const job = await client.get(`importjobs(${body.ImportJobId as string})?$select=data`);
      assert.match((job.body as { data: string }).data, /<result result="failure" errorcode="0x[0-9a-f]{8}" errortext="[^"]*later version/);
    });

    it('RetrieveFormattedImportJobResults returns the Excel-XML workbook of a job; an unknown job is a 404', async () => {
      const client = await h.env('a');
      const body = await importBody({ uniqueName: 'Formatted', version: '1.0', managed: false, entities: ['cts_F'] });
      assert.equal((await client.post('ImportSolution', body)).status, 204);
      const res = await client.get(`RetrieveFormattedImportJobResults(ImportJobId=@j)?@j=${body.ImportJobId as string}`);
      assert.equal(res.status, 200, res.text);
      const xml = (res.body as { FormattedResults: string }).FormattedResults;
      assert.match(xml, /^<\?xml version="1\.0"\?><\?mso-application progid="Excel\.Sheet"\?><Workbook /);
      assert.match(xml, /<Data ss:Type="String">Formatted<\/Data>/);
      assert.match(xml, /name="ItemType"><Data ss:Type="String">Entity<\/Data>/);
      assert.equal((await client.get(`RetrieveFormattedImportJobResults(ImportJobId=${randomUUID()})`)).status, 404);
      assert.equal((await client.get('RetrieveFormattedImportJobResults(ImportJobId=not-a-guid)')).status, 400);
    });

    it('refuses an ImportJobId that was already used', async () => {
      const client = await h.env('a');
      const body = await importBody({ uniqueName: 'ReuseJob', version: '1.0', managed: false });
      assert.equal((await client.post('ImportSolution', body)).status, 204);
      const again = await client.post('ImportSolution', { ...body, CustomizationFile: await b64({ uniqueName: 'ReuseJob', version: '1.1', managed: false }) });
      assert.equal(again.status, 400);
      assert.match(errorOf(again).message, /import job with id .* already exists/);
    });
  });

  describe('strict request bodies', () => {
    it('rejects an unknown parameter with the real message', async () => {
      const client = await h.env('b');
      const res = await client.post('ImportSolutionAsync', { ...(await importBody({ uniqueName: 'X', version: '1.0', managed: true })), Foo: 1 });
      assert.equal(res.status, 400);
      assert.match(errorOf(res).message, /^The parameter 'Foo' in the request payload is not a valid parameter for the operation 'ImportSolutionAsync'\./);
    });

    it('rejects a mis-cased parameter name and says which name is right', async () => {
      const client = await h.env('b');
      const body = await importBody({ uniqueName: 'X', version: '1.0', managed: true });
      const res = await client.post('ImportSolutionAsync', { overwriteUnmanagedCustomizations: false, PublishWorkflows: true, CustomizationFile: body.CustomizationFile });
      assert.equal(res.status, 400);
      assert.match(errorOf(res).message, /The parameter 'overwriteUnmanagedCustomizations' .* not a valid parameter .*did you mean 'OverwriteUnmanagedCustomizations'/);
    });

    it('rejects wrong types: a string for a Boolean, a non-GUID ImportJobId, base64 that is not base64', async () => {
      const client = await h.env('b');
      const body = await importBody({ uniqueName: 'X', version: '1.0', managed: true });
      const asString = await client.post('ImportSolution', { ...body, PublishWorkflows: 'true' });
      assert.equal(asString.status, 400);
      assert.match(errorOf(asString).message, /expected type 'Edm\.Boolean'/);
      const badGuid = await client.post('ImportSolution', { ...body, ImportJobId: 'job-1' });
      assert.equal(badGuid.status, 400);
      assert.match(errorOf(badGuid).message, /'Edm\.Guid'/);
      const badBinary = await client.post('ImportSolution', { ...body, CustomizationFile: 'not base64 at all!' });
      assert.equal(badBinary.status, 400);
      assert.match(errorOf(badBinary).message, /'Edm\.Binary'/);
    });

    it('rejects a missing required parameter and a body that is not JSON', async () => {
      const client = await h.env('b');
      const res = await client.post('ImportSolution', { OverwriteUnmanagedCustomizations: false, PublishWorkflows: true, ImportJobId: randomUUID() });
      assert.equal(res.status, 400);
      assert.match(errorOf(res).message, /'CustomizationFile' is required by the operation 'ImportSolution'/);
      const notJson = await client.postRaw('ExportSolution', '{"SolutionName": ');
      assert.equal(notJson.status, 400);
    });

    it('fails the import job (3/31) when the file is not a zip, or a zip that is not a solution', async () => {
      const client = await h.env('b');
      const notZip = await importAsyncAndWait(client, {
        OverwriteUnmanagedCustomizations: false, PublishWorkflows: false, CustomizationFile: Buffer.from('hello, not a zip').toString('base64'),
      });
      assert.equal(notZip.row.statuscode, 31);
      assert.match(notZip.row.message ?? '', /not a valid compressed \(zip\) file/);
      const zip = new yazl.ZipFile();
      zip.addBuffer(Buffer.from('readme'), 'readme.txt');
      zip.end();
      const chunks: Buffer[] = [];
      for await (const c of zip.outputStream) chunks.push(c as Buffer);
      const notSolution = await importAsyncAndWait(client, {
        OverwriteUnmanagedCustomizations: false, PublishWorkflows: false, CustomizationFile: Buffer.concat(chunks).toString('base64'),
      });
      assert.equal(notSolution.row.statuscode, 31);
      assert.match(notSolution.row.message ?? '', /must contain the following files at its root: solution\.xml, customizations\.xml, and \[Content_Types\]\.xml/);
      const result = await client.get(`RetrieveSolutionImportResult(ImportJobId=@p)?@p=${notSolution.jobId}`);
      const sor = (result.body as { SolutionOperationResult: { Status: string; ErrorMessages: string[] } }).SolutionOperationResult;
      assert.equal(sor.Status, 'Failed');
      assert.equal(sor.ErrorMessages.length, 1);
    });

    it('answers 404 for a mis-cased action name and 405 for GET on an action', async () => {
      const client = await h.env('b');
      assert.equal((await client.post('importsolutionasync', {})).status, 404);
      assert.equal((await client.get('ImportSolutionAsync')).status, 405);
    });
  });

  describe('import rules', () => {
    it('managed over unmanaged fails, unmanaged over managed fails', async () => {
      const client = await h.env('c');
      await importAsyncAndWait(client, await importBody({ uniqueName: 'Mixed', version: '1.0', managed: false }));
      const managed = await importAsyncAndWait(client, await importBody({ uniqueName: 'Mixed', version: '2.0', managed: true }));
      assert.equal(managed.row.statuscode, 31);
      assert.match(managed.row.message ?? '', /already installed on this system as an unmanaged solution .* managed mode/);
      await importAsyncAndWait(client, await importBody({ uniqueName: 'MixedM', version: '1.0', managed: true }));
      const unmanaged = await importAsyncAndWait(client, await importBody({ uniqueName: 'MixedM', version: '2.0', managed: false }));
      assert.equal(unmanaged.row.statuscode, 31);
      assert.match(unmanaged.row.message ?? '', /already installed on this system as a managed solution .* unmanaged mode/);
    });

    it('the same version of an installed managed solution fails; of an unmanaged one it updates', async () => {
      const client = await h.env('c');
      await importAsyncAndWait(client, await importBody({ uniqueName: 'Same', version: '1.2.3.4', managed: true }));
      const again = await importAsyncAndWait(client, await importBody({ uniqueName: 'Same', version: '1.2.3.4', managed: true }));
      assert.equal(again.row.statuscode, 31);
      assert.match(again.row.message ?? '', /managed solution 'Same' version 1\.2\.3\.4 is already installed/);
      await importAsyncAndWait(client, await importBody({ uniqueName: 'SameU', version: '1.0', managed: false }));
      const update = await importAsyncAndWait(client, await importBody({ uniqueName: 'SameU', version: '1.0', managed: false }));
      assert.equal(update.row.statuscode, 30);
    });

    it('versions compare numerically (1.10 is later than 1.9)', async () => {
      const client = await h.env('c');
      await importAsyncAndWait(client, await importBody({ uniqueName: 'Numeric', version: '1.9.0.0', managed: true }));
      const later = await importAsyncAndWait(client, await importBody({ uniqueName: 'Numeric', version: '1.10.0.0', managed: true }));
      assert.equal(later.row.statuscode, 30);
      assert.equal((await solutionRow(client, 'Numeric')).version, '1.10.0.0');
    });
  });

  describe('missing dependencies', () => {
    it('fails naming a solution the environment lacks, and passes on first-party solutions it has', async () => {
      const client = await h.env('deps');
      const fails = await importAsyncAndWait(client, await importBody({
        uniqueName: 'NeedsFS', version: '1.0', managed: true, missingDependencies: [
          { required: { type: '1', schemaName: 'msdyn_workorder', displayName: 'Work Order', solution: 'FieldService (8.8.0.0)' } },
          { required: { type: '66', schemaName: 'MscrmControls.Grid.GridControl', displayName: 'Grid', solution: 'BaseCustomControlsCore (9.0.2405.3013)' } },
        ],
      }));
      assert.equal(fails.row.statuscode, 31);
      assert.match(fails.row.message ?? '', /FieldService/);
      assert.doesNotMatch(fails.row.message ?? '', /BaseCustomControlsCore/);
      const job = await client.get(`importjobs(${fails.jobId})?$select=data`);
      const data = (job.body as { data: string }).data;
      assert.match(data, /<MissingDependencies><MissingDependency><Required type="1" schemaName="msdyn_workorder" displayName="Work Order" solution="FieldService \(8\.8\.0\.0\)" \/><Dependent [^>]*\/><\/MissingDependency><\/MissingDependencies>/);
      const passes = await importAsyncAndWait(client, await importBody({
        uniqueName: 'NeedsCore', version: '1.0', managed: true, missingDependencies: [
          { required: { type: '61', schemaName: 'AppModuleWebResources/icon.svg', solution: 'AppModuleWebResources (2.5)' } },
          { required: { type: '1', schemaName: 'roleprivileges', solution: 'AuthorizationCore (1.109)' } },
        ],
      }));
      assert.equal(passes.row.statuscode, 30, passes.row.message ?? '');
    });

    it('a first-party solution at a lower version than required is missing', async () => {
      const client = await h.env('deps');
      const res = await importAsyncAndWait(client, await importBody({
        uniqueName: 'NeedsNewer', version: '1.0', managed: true,
        missingDependencies: [{ required: { type: '66', schemaName: 'X.Control', solution: 'BaseCustomControlsCore (99.0.0.0)' } }],
      }));
      assert.equal(res.row.statuscode, 31);
      assert.match(res.row.message ?? '', /BaseCustomControlsCore \(99\.0\.0\.0\)/);
    });

    it('an "Active" requirement is met only by a component that exists; a solution requirement by its component once installed', async () => {
      const client = await h.env('deps');
      const active = (schemaName: string) => ({ required: { type: '61', schemaName, displayName: schemaName, solution: 'Active' } });
      const missing = await importAsyncAndWait(client, await importBody({ uniqueName: 'NeedsActive', version: '1.0', managed: true, missingDependencies: [active('new_/nope.js')] }));
      assert.equal(missing.row.statuscode, 31);
      const present = await importAsyncAndWait(client, await importBody({ uniqueName: 'NeedsActive2', version: '1.0', managed: true, missingDependencies: [active('new_/shared/util.js')] }));
      assert.equal(present.row.statuscode, 30, present.row.message ?? '');
      const needsBase = { uniqueName: 'NeedsBase', version: '1.0', managed: true, missingDependencies: [{ required: { type: '1', schemaName: 'cts_shared', solution: 'BaseLib (1.0.0.0)' } }] };
      assert.equal((await importAsyncAndWait(client, await importBody(needsBase))).row.statuscode, 31);
      await importAsyncAndWait(client, await importBody({ uniqueName: 'BaseLib', version: '1.0.0.0', managed: true, entities: ['cts_Other'] }));
      assert.equal((await importAsyncAndWait(client, await importBody(needsBase))).row.statuscode, 31, 'BaseLib 1.0 lacks cts_shared');
      await importAsyncAndWait(client, await importBody({ uniqueName: 'BaseLib', version: '1.1.0.0', managed: true, entities: ['cts_Other', 'cts_Shared'] }));
      assert.equal((await importAsyncAndWait(client, await importBody(needsBase))).row.statuscode, 30);
    });
    it('a requirement on a standard table (contact) is met by the System solution, unless the seed removes it', async () => {
      const needsContact = (uniqueName: string) => ({
        uniqueName, version: '1.0', managed: true,
        missingDependencies: [{ required: { type: '1', schemaName: 'contact', displayName: 'Contact', solution: 'Active' } }],
      });
      const ok = await importAsyncAndWait(await h.env('deps'), await importBody(needsContact('NeedsContact')));
      assert.equal(ok.row.statuscode, 30, ok.row.message ?? '');
      const custom = await importAsyncAndWait(await h.env('deps'), await importBody({
        uniqueName: 'NeedsCustomTable', version: '1.0', managed: true,
        missingDependencies: [{ required: { type: '1', schemaName: 'new_project', displayName: 'Project', solution: 'Active' } }],
      }));
      assert.equal(custom.row.statuscode, 31, 'a custom table that is not there stays missing');
      const bare = await importAsyncAndWait(await h.env('bare'), await importBody(needsContact('NeedsContactBare')));
      assert.equal(bare.row.statuscode, 31);
      assert.match(bare.row.message ?? '', /Contact/);
    });
  });

  describe('connections, connection references, environment variables and flows', () => {
    const solution = (version: string): FixtureSolution => ({
      uniqueName: 'Flows', version, managed: true,
      connectionReferences: [{ logicalName: 'cts_sp', connectorId: SHAREPOINT }, { logicalName: 'cts_mail', connectorId: OUTLOOK }],
      envVars: [{ schemaName: 'cts_Url', defaultValue: 'https://x' }, { schemaName: 'cts_Count', type: 100000001, value: '3' }],
      flows: [
        { id: '11111111-aaaa-4aaa-8aaa-111111111111', name: 'Uses SharePoint', connectionReferences: ['cts_sp'] },
        { id: '22222222-aaaa-4aaa-8aaa-222222222222', name: 'Uses Mail', connectionReferences: ['cts_mail'] },
      ],
    });
    let client: EnvClient;
    before(async () => { client = await h.env('conn'); });

    it('an unknown connection id fails the import', async () => {
      const res = await importAsyncAndWait(client, await importBody(solution('1.0'), { ComponentParameters: [
        { '@odata.type': 'Microsoft.Dynamics.CRM.connectionreference', connectionreferencelogicalname: 'cts_sp', connectionid: 'conn-nope', connectorid: SHAREPOINT },
      ] }));
      assert.equal(res.row.statuscode, 31);
      assert.match(res.row.message ?? '', /connection 'conn-nope' does not exist .* or is not shared with the importing user/);
    });

    it('a connection not shared with the importing identity fails the import', async () => {
      const res = await importAsyncAndWait(client, await importBody(solution('1.0'), { ComponentParameters: [
        { '@odata.type': 'Microsoft.Dynamics.CRM.connectionreference', connectionreferencelogicalname: 'cts_sp', connectionid: 'conn-sp-private', connectorid: SHAREPOINT },
      ] }));
      assert.equal(res.row.statuscode, 31);
      assert.match(res.row.message ?? '', /conn-sp-private/);
    });

    it('a connection of another connector fails the import', async () => {
      const res = await importAsyncAndWait(client, await importBody(solution('1.0'), { ComponentParameters: [
        { '@odata.type': 'Microsoft.Dynamics.CRM.connectionreference', connectionreferencelogicalname: 'cts_sp', connectionid: 'conn-mail-mine', connectorid: SHAREPOINT },
      ] }));
      assert.equal(res.row.statuscode, 31);
      assert.match(res.row.message ?? '', /needs a connection of connector/);
    });

    it('a reference without connection imports, its flow stays off (reported); env var values from ComponentParameters apply', async () => {
      const res = await importAsyncAndWait(client, await importBody(solution('1.0'), { ComponentParameters: [
        { '@odata.type': 'Microsoft.Dynamics.CRM.connectionreference', connectionreferencelogicalname: 'cts_sp', connectionid: 'conn-sp-shared', connectorid: SHAREPOINT },
        { '@odata.type': 'Microsoft.Dynamics.CRM.environmentvariablevalue', schemaname: 'cts_Url', value: 'https://contoso.sharepoint.com' },
      ] }));
      assert.equal(res.row.statuscode, 30, res.row.message ?? '');
      const refs = await client.get('connectionreferences?$select=connectionreferencelogicalname,connectionid,connectorid&$orderby=connectionreferencelogicalname');
      assert.deepEqual((refs.body as { value: { connectionreferencelogicalname: string; connectionid: string | null }[] }).value
        .map((r) => [r.connectionreferencelogicalname, r.connectionid]), [['cts_mail', null], ['cts_sp', 'conn-sp-shared']]);
      const flows = await client.get('workflows?$select=name,statecode,statuscode&$filter=category eq 5&$orderby=name');
      assert.deepEqual((flows.body as { value: { name: string; statecode: number }[] }).value.map((f) => [f.name, f.statecode]),
        [['Uses Mail', 0], ['Uses SharePoint', 1]]);
      const result = await client.get(`RetrieveSolutionImportResult(ImportJobId=${res.jobId})`);
      const sor = (result.body as { SolutionOperationResult: { Status: string; WarningMessages: string[] } }).SolutionOperationResult;
      assert.equal(sor.Status, 'Passed');
      assert.equal(sor.WarningMessages.length, 1);
      assert.match(sor.WarningMessages[0], /'Uses Mail' was imported but not activated: connection reference 'cts_mail' has no connection/);
      const values = await client.get('environmentvariablevalues?$select=schemaname,value&$orderby=schemaname');
      assert.deepEqual((values.body as { value: { schemaname: string; value: string }[] }).value.map((v) => [v.schemaname, v.value]),
        [['cts_Count', '3'], ['cts_Url', 'https://contoso.sharepoint.com']]);
      const defs = await client.get("environmentvariabledefinitions?$select=schemaname,type,defaultvalue&$filter=schemaname eq 'cts_Url'");
      assert.equal((defs.body as { value: { defaultvalue: string }[] }).value[0].defaultvalue, 'https://x');
    });

    it('a later import that binds the other reference turns its flow on; an invalid Number value fails', async () => {
      const bad = await importAsyncAndWait(client, await importBody(solution('1.1'), { ComponentParameters: [
        { '@odata.type': 'Microsoft.Dynamics.CRM.environmentvariablevalue', schemaname: 'cts_Count', value: 'three' },
      ] }));
      assert.equal(bad.row.statuscode, 31);
      assert.match(bad.row.message ?? '', /cts_Count.*Number.*is not a number/);
      const ok = await importAsyncAndWait(client, await importBody(solution('1.1'), { ComponentParameters: [
        { '@odata.type': 'Microsoft.Dynamics.CRM.connectionreference', connectionreferencelogicalname: 'cts_mail', connectionid: 'conn-mail-mine', connectorid: OUTLOOK },
      ] }));
      assert.equal(ok.row.statuscode, 30, ok.row.message ?? '');
      const flows = await client.get('workflows?$select=name,statecode&$filter=statecode eq 1');
      assert.equal((flows.body as { value: unknown[] }).value.length, 2);
      const connections = await client.get("connections?$select=connectionid,_ownerid_value,sharedwith&$filter=connectionid eq 'conn-sp-shared'");
      assert.equal((connections.body as { value: { sharedwith: string }[] }).value[0].sharedwith, DEFAULTS.clientId);
    });

    it('PublishWorkflows=false leaves the flows of a new solution off', async () => {
      const res = await importAsyncAndWait(client, await importBody({
        uniqueName: 'Quiet', version: '1.0', managed: false, connectionReferences: [{ logicalName: 'cts_sp2', connectorId: SHAREPOINT }],
        flows: [{ id: '33333333-aaaa-4aaa-8aaa-333333333333', name: 'Quiet flow', connectionReferences: ['cts_sp2'] }],
      }, { PublishWorkflows: false, ComponentParameters: [
        { '@odata.type': 'Microsoft.Dynamics.CRM.connectionreference', connectionreferencelogicalname: 'cts_sp2', connectionid: 'conn-sp-shared' },
      ] }));
      assert.equal(res.row.statuscode, 30);
      const flow = await client.get('workflows(33333333-aaaa-4aaa-8aaa-333333333333)?$select=statecode,statuscode');
      assert.deepEqual({ ...(flow.body as object), '@odata.context': undefined, '@odata.etag': undefined },
        { '@odata.context': undefined, '@odata.etag': undefined, statecode: 0, statuscode: 1, workflowid: '33333333-aaaa-4aaa-8aaa-333333333333' });
    });
  });

  describe('stage, export, publish, delete', () => {
    it('StageSolution then ImportSolutionAsync with SolutionParameters.StageSolutionUploadId', async () => {
      const client = await h.env('conn');
      const staged = await client.post('StageSolution', { CustomizationFile: await b64({ uniqueName: 'Staged', version: '2.0', managed: true, entities: ['cts_A'] }) });
      assert.equal(staged.status, 200, staged.text);
      const results = (staged.body as { StageSolutionResults: { StageSolutionUploadId: string; StageSolutionStatus: string; SolutionDetails: { SolutionVersion: string } } }).StageSolutionResults;
      assert.equal(results.StageSolutionStatus, 'Passed');
      assert.equal(results.SolutionDetails.SolutionVersion, '2.0');
      const done = await importAsyncAndWait(client, { OverwriteUnmanagedCustomizations: false, PublishWorkflows: false, SolutionParameters: { StageSolutionUploadId: results.StageSolutionUploadId } });
      assert.equal(done.row.statuscode, 30);
      assert.equal((await solutionRow(client, 'Staged')).version, '2.0');
      const reused = await client.post('ImportSolutionAsync', { OverwriteUnmanagedCustomizations: false, PublishWorkflows: false, SolutionParameters: { StageSolutionUploadId: results.StageSolutionUploadId } });
      assert.equal(reused.status, 404);
      const docsSample = await importAsyncAndWait(client, await importBody({ uniqueName: 'Staged', version: '2.1', managed: true, entities: ['cts_A'] },
        { SolutionParameters: { StageSolutionUploadId: '00000000-0000-0000-0000-000000000000' } }));
      assert.equal(docsSample.row.statuscode, 30, 'the empty upload id of the docs sample means "use CustomizationFile"');
      const notSolution = await client.post('StageSolution', { CustomizationFile: Buffer.from('nope').toString('base64') });
      assert.equal(notSolution.status, 400);
    });

    it('StageSolution lists the missing dependencies in the StageSolution shape', async () => {
      const client = await h.env('conn');
      const staged = await client.post('StageSolution', { CustomizationFile: await b64({ uniqueName: 'StagedDeps', version: '1.0', managed: true,
        missingDependencies: [{ required: { type: '2', schemaName: 'msdyn_taxexempt', displayName: 'Tax Exempt', parentSchemaName: 'account', solution: 'FieldService (6.1.0.1462)' },
          dependent: { type: '60', displayName: 'New Form', id: '{56a0ca44-d8fc-4828-946a-86c641464a66}' } }] }) });
      assert.equal(staged.status, 200, staged.text);
      const missing = (staged.body as { StageSolutionResults: { MissingDependencies: Record<string, unknown>[] } }).StageSolutionResults.MissingDependencies;
      assert.equal(missing.length, 1);
      assert.equal(missing[0].RequiredComponentSchemaName, 'msdyn_taxexempt');
      assert.equal(missing[0].RequiredSolutionName, 'FieldService (6.1.0.1462)');
      assert.equal(missing[0].RequiredComponentParentSchemaName, 'account');
      assert.equal(missing[0].DependentComponentType, '60');
      assert.equal(Object.keys(missing[0]).length, 13);
    });

    it('ExportSolution round-trips: unmanaged export keeps Managed 0, managed export sets 1 and imports elsewhere as managed', async () => {
      const client = await h.env('conn');
      await importAsyncAndWait(client, await importBody({ uniqueName: 'Exported', version: '3.1.0.0', managed: false, entities: ['cts_Ex'], webResources: ['cts_/a.js'] }));
      const unmanaged = await client.post('ExportSolution', { SolutionName: 'Exported', Managed: false });
      assert.equal(unmanaged.status, 200, unmanaged.text.slice(0, 300));
      const file = Buffer.from((unmanaged.body as { ExportSolutionFile: string }).ExportSolutionFile, 'base64');
      assert.equal(file.subarray(0, 2).toString(), 'PK');
      const managed = await client.post('ExportSolution', { SolutionName: 'Exported', Managed: true });
      const managedFile = (managed.body as { ExportSolutionFile: string }).ExportSolutionFile;
      const target = await h.env('conn');
      await importAsyncAndWait(target, await importBody({ uniqueName: 'Dummy', version: '1.0', managed: false }));
      const staged = await target.post('StageSolution', { CustomizationFile: managedFile });
      const details = (staged.body as { StageSolutionResults: { SolutionDetails: { IsManaged: boolean; SolutionVersion: string; PreviousIsManaged: boolean } } }).StageSolutionResults.SolutionDetails;
      assert.equal(details.IsManaged, true);
      assert.equal(details.SolutionVersion, '3.1.0.0');
      assert.equal(details.PreviousIsManaged, false);
      const staged2 = await target.post('StageSolution', { CustomizationFile: (unmanaged.body as { ExportSolutionFile: string }).ExportSolutionFile });
      assert.equal((staged2.body as { StageSolutionResults: { SolutionDetails: { IsManaged: boolean } } }).StageSolutionResults.SolutionDetails.IsManaged, false);
    });

    it('ExportSolution of a missing solution is a 404, of a managed one a 400', async () => {
      const client = await h.env('conn');
      const missing = await client.post('ExportSolution', { SolutionName: 'NoSuchSolution', Managed: false });
      assert.equal(missing.status, 404);
      assert.match(errorOf(missing).message, /NoSuchSolution/);
      const managed = await client.post('ExportSolution', { SolutionName: 'Flows', Managed: true });
      assert.equal(managed.status, 400);
      assert.match(errorOf(managed).message, /is managed and cannot be exported/);
    });

    it('ExportSolutionAsync + DownloadSolutionExportData (not ready before the job completes)', async () => {
      const client = await h.env('slow');
      const imported = await client.post('ImportSolution', await importBody({ uniqueName: 'SlowExport', version: '1.0', managed: false, entities: ['cts_S'] }));
      assert.equal(imported.status, 204);
      const started = await client.post('ExportSolutionAsync', { SolutionName: 'SlowExport', Managed: true });
      assert.equal(started.status, 200, started.text);
      const ids = started.body as { AsyncOperationId: string; ExportJobId: string };
      const early = await client.post('DownloadSolutionExportData', { ExportJobId: ids.ExportJobId });
      assert.equal(early.status, 400);
      assert.match(errorOf(early).message, /has not completed yet/);
      const { row } = await pollAsyncOperation(client, ids.AsyncOperationId);
      assert.equal(row.statuscode, 30);
      const download = await client.post('DownloadSolutionExportData', { ExportJobId: ids.ExportJobId });
      assert.equal(download.status, 200);
      assert.equal(Buffer.from((download.body as { ExportSolutionFile: string }).ExportSolutionFile, 'base64').subarray(0, 2).toString(), 'PK');
    });

    it('PublishAllXml answers 204, PublishAllXmlAsync an async operation that succeeds', async () => {
      const client = await h.env('conn');
      assert.equal((await client.post('PublishAllXml', {})).status, 204);
      const res = await client.postRaw('PublishAllXmlAsync', '');
      assert.equal(res.status, 200, res.text);
      const { row } = await pollAsyncOperation(client, (res.body as { AsyncOperationId: string }).AsyncOperationId);
      assert.equal(row.statuscode, 30);
    });

    it('the lock: a second import or a publish during an import gets 429 0x80071151 with Retry-After', async () => {
      const client = await h.env('slow');
      const first = await client.post('ImportSolutionAsync', await importBody({ uniqueName: 'Locker', version: '1.0', managed: true }));
      assert.equal(first.status, 200);
      const second = await client.post('ImportSolutionAsync', await importBody({ uniqueName: 'Other', version: '1.0', managed: true }));
      assert.equal(second.status, 429);
      assert.equal(errorOf(second).code, '0x80071151');
      assert.match(errorOf(second).message, /^Cannot start another \[Import\] because there is a previous \[Import\] running at this moment\. Use Solution History for more details\. -- /);
      assert.ok(Number(second.headers['retry-after']) >= 1);
      const publish = await client.post('PublishAllXml', {});
      assert.equal(publish.status, 429);
      assert.match(errorOf(publish).message, /^Cannot start the requested operation \[PublishAll\] because there is another \[Import\] running/);
      const running = await client.get('msdyn_solutionhistories?$select=msdyn_name,msdyn_status,msdyn_operation&$filter=msdyn_status eq 0&$orderby=msdyn_starttime desc');
      assert.deepEqual((running.body as { value: { msdyn_name: string }[] }).value.map((r) => r.msdyn_name), ['Locker']);
      await pollAsyncOperation(client, (first.body as { AsyncOperationId: string }).AsyncOperationId);
      assert.equal((await client.post('PublishAllXml', {})).status, 204);
    });

    it('DELETE solutions(id): removes a managed solution and its rows; system solutions cannot be deleted', async () => {
      const client = await h.env('conn');
      const row = await solutionRow(client, 'Flows');
      assert.equal((await client.del(`solutions(${row.solutionid})`)).status, 204);
      assert.equal(await solutionRow(client, 'Flows'), undefined);
      const flows = await client.get("workflows?$select=name&$filter=name eq 'Uses Mail'");
      assert.equal((flows.body as { value: unknown[] }).value.length, 0);
      const system = await solutionRow(client, 'AuthorizationCore');
      const refused = await client.del(`solutions(${system.solutionid})`);
      assert.equal(refused.status, 400);
      assert.equal((await client.del(`solutions(${randomUUID()})`)).status, 404);
    });
  });

  describe('OData queries on solutions', () => {
    it('supports $select, $filter with and/or/ne, $orderby, $top, $expand=publisherid', async () => {
      const client = await h.env('conn');
      const res = await client.get("solutions?$select=uniquename,version&$filter=(uniquename eq 'AuthorizationCore' or uniquename eq 'appmodulewebresources') and ismanaged eq true&$orderby=uniquename desc&$top=5&$expand=publisherid($select=uniquename)");
      assert.equal(res.status, 200, res.text);
      const value = (res.body as { value: { uniquename: string; version: string; publisherid: { uniquename: string } }[] }).value;
      assert.deepEqual(value.map((v) => v.uniquename), ['AuthorizationCore', 'AppModuleWebResources']);
      assert.equal(value[0].publisherid.uniquename, 'MicrosoftCorporation');
      const others = await client.get("solutions?$select=uniquename&$filter=ismanaged ne true&$top=1");
      assert.equal((others.body as { value: unknown[] }).value.length, 1);
    });

    it('refuses what it does not support with a 400 instead of ignoring it', async () => {
      const client = await h.env('conn');
      for (const [query, pattern] of [
        ['solutions?$skip=1', /\$skip is not supported/],
        ['solutions?$select=nosuchcolumn', /Could not find a property named 'nosuchcolumn' on type 'Microsoft\.Dynamics\.CRM\.solution'/],
        ["solutions?$filter=contains(uniquename,'a')", /function 'contains'/],
        ["solutions?$filter=uniquename eq Alpha", /not a valid literal/],
        ['solutions?$top=-1', /non-negative integer/],
        ['solutions?$expand=organizationid', /Could not find a property named 'organizationid'/],
      ] as const) {
        const res = await client.get(query);
        assert.equal(res.status, 400, query);
        assert.match(errorOf(res).message, pattern, query);
      }
    });
  });
});
