import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULTS, startEmulator, type LoggedRequest, type RunningEmulator } from '../../../emulator';
import { control, dataverse, secretToken, withEmulator } from './helpers';

describe('emulator core: control API and lifecycle', () => {
  describe('defaults, request log and reset', () => {
    let emu: RunningEmulator;

    before(async () => {
      emu = await withEmulator();
    });
    beforeEach(() => control(emu, 'POST', 'reset'));
    after(() => emu.stop());

    it('describes itself with the contract fields and the well-known defaults', async () => {
      const { status, body } = await control(emu, 'GET', 'info');
      assert.equal(status, 200);
      assert.deepEqual(body, emu.info);
      const info = emu.info;
      assert.equal(info.authorityHost, `${emu.url}/entra`);
      assert.equal(info.tenantId, DEFAULTS.tenantId);
      assert.equal(info.clientId, DEFAULTS.clientId);
      assert.equal(info.clientSecret, DEFAULTS.clientSecret);
      assert.deepEqual(info.environments, { dev: `${emu.url}/env/dev`, test: `${emu.url}/env/test`, prod: `${emu.url}/env/prod` });
      assert.equal(info.imdsEndpoint, `${emu.url}/metadata/identity/oauth2/token`);
      assert.equal(info.devopsCollectionUri, `${emu.url}/devops/`);
      assert.equal(info.devopsAccessToken, DEFAULTS.devopsAccessToken);
      assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    });

    it('logs each call with redacted authorization, identity, query and status', async () => {
      const token = await secretToken(emu);
      await dataverse(emu, 'dev', 'WhoAmI?x=1', token, { headers: { 'x-ms-client-request-id': 'abc' } });
      await dataverse(emu, 'dev', 'WhoAmI', undefined);
      const all = (await control(emu, 'GET', 'requests')).body as LoggedRequest[];
      assert.equal(all.length, 3, 'token + two Web API calls; control calls are not logged');
      const [tokenCall, whoAmI, denied] = all;
      assert.equal(tokenCall.method, 'POST');
      assert.equal(tokenCall.status, 200);
      assert.equal(tokenCall.identity?.appId, DEFAULTS.clientId);
      assert.equal(whoAmI.path, '/env/dev/api/data/v9.2/WhoAmI');
      assert.deepEqual(whoAmI.query, { x: '1' });
      assert.equal(whoAmI.headers.authorization, 'Bearer [redacted]');
      assert.equal(whoAmI.headers['x-ms-client-request-id'], 'abc');
      assert.equal(whoAmI.status, 200);
      assert.deepEqual(whoAmI.identity && { ...whoAmI.identity, objectId: undefined }, { tenantId: DEFAULTS.tenantId, appId: DEFAULTS.clientId, objectId: undefined, kind: 'app' });
      assert.equal(denied.status, 401);
      assert.equal(denied.identity, null);
      assert.ok(!JSON.stringify(all).includes(token), 'the token never appears in the log');

      const filtered = (await control(emu, 'GET', 'requests?path=/env/')).body as LoggedRequest[];
      assert.equal(filtered.length, 2);
      await control(emu, 'DELETE', 'requests');
      assert.deepEqual((await control(emu, 'GET', 'requests')).body, []);
    });

    it('reset clears faults, the log and settings', async () => {
      await control(emu, 'POST', 'faults', { path: '/env/*', status: 500, count: -1 });
      await control(emu, 'POST', 'settings', { tokenLifetimeSeconds: 5 });
      await dataverse(emu, 'dev', 'WhoAmI', undefined);
      await control(emu, 'POST', 'reset');
      assert.deepEqual((await control(emu, 'GET', 'faults')).body, []);
      assert.deepEqual((await control(emu, 'GET', 'requests')).body, []);
      assert.equal(((await control(emu, 'GET', 'info')).body as { tokenLifetimeSeconds: number }).tokenLifetimeSeconds, 3599);
      assert.equal((await dataverse(emu, 'dev', 'WhoAmI', await secretToken(emu))).status, 200);
    });

    it('answers unknown control calls and paths outside the layout with 404', async () => {
      assert.equal((await control(emu, 'GET', 'nothing')).status, 404);
      assert.equal((await control(emu, 'POST', 'dataverse/no-such-control-call', {})).status, 404, 'the Dataverse module did not claim it');
      assert.equal((await fetch(`${emu.url}/elsewhere`)).status, 404);
    });
  });

  describe('instances', () => {
    it('keeps two emulators in one process independent', async () => {
      const a = await withEmulator();
      const b = await withEmulator();
      try {
        assert.notEqual(a.url, b.url);
        await control(a, 'POST', 'faults', { path: '/env/*', status: 503, count: -1 });
        await control(a, 'POST', 'settings', { tokenLifetimeSeconds: 0 });
        const tokenA = await secretToken(a);
        const tokenB = await secretToken(b);
        assert.equal((await dataverse(b, 'dev', 'WhoAmI', tokenB)).status, 200, 'faults and settings of A do not reach B');
        const foreign = await dataverse(b, 'dev', 'WhoAmI', tokenA);
        assert.equal(foreign.status, 401, 'a token of A is worthless at B');
        // The signature is checked before the audience: B does not even recognise A's signing key.
        assert.match(((await foreign.json()) as { error: { message: string } }).error.message, /invalid/);
        assert.equal(((await control(b, 'GET', 'requests')).body as unknown[]).length, 3);
      } finally {
        await a.stop();
        await b.stop();
      }
    });

    it('stops cleanly even with keep-alive connections open', async () => {
      const emu = await withEmulator();
      const agent = new http.Agent({ keepAlive: true });
      await new Promise<void>((resolve, reject) => {
        http.get(`${emu.url}/_emulator/info`, { agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
      });
      await emu.stop();
      await emu.stop();
      await assert.rejects(fetch(`${emu.url}/_emulator/info`));
      agent.destroy();
    });

    it('reads a seed file and keeps the defaults for keys it does not give', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-seed-'));
      const file = path.join(dir, 'seed.json');
      fs.writeFileSync(file, JSON.stringify({ environments: [{ name: 'qa', friendlyName: 'Quality' }], tokenLifetimeSeconds: 60 }));
      const emu = await startEmulator({ port: 0, seed: file });
      try {
        assert.deepEqual(Object.keys(emu.info.environments), ['qa']);
        assert.equal(emu.info.clientId, DEFAULTS.clientId);
        assert.equal(emu.info.tokenLifetimeSeconds, 60);
        const token = await secretToken(emu, emu.info.environments.qa);
        const org = await dataverse(emu, 'qa', "RetrieveCurrentOrganization(AccessType=Microsoft.Dynamics.CRM.EndpointAccessType'Default')", token);
        assert.equal(((await org.json()) as { Detail: { FriendlyName: string } }).Detail.FriendlyName, 'Quality');
      } finally {
        await emu.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses a bad seed with a message naming the problem', async () => {
      await assert.rejects(startEmulator({ seed: '/nonexistent/seed.json' }), /Cannot read seed file/);
      await assert.rejects(startEmulator({ seed: { environments: [{ name: 'a/b' }] } }), /environments\[0\]\.name/);
      await assert.rejects(startEmulator({ seed: { environments: [{ name: 'x', tenantId: 'nope' }] } }), /tenant 'nope'/);
      await assert.rejects(startEmulator({ seed: { tenants: [{ id: 't', apps: [{ clientId: 'c' }] }] } }), /no credential/);
      await assert.rejects(startEmulator({ seed: { limits: { windowSeconds: -1 } } }), /windowSeconds/);
      await assert.rejects(startEmulator({ seed: { enviroments: [] } as never }), /unknown key\(s\) enviroments/);
    });
  });
});
