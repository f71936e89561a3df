import * as assert from 'node:assert/strict';
import type { RunningEmulator } from '../../../emulator';
import { control, dataverse, requestToken, secretToken, withEmulator } from './helpers';

describe('emulator core: service protection limits', () => {
  let emu: RunningEmulator;
  let token: string;

  before(async () => {
    emu = await withEmulator();
  });
  beforeEach(async () => {
    await control(emu, 'POST', 'reset');
    token = await secretToken(emu);
  });
  after(() => emu.stop());

  const miToken = async (): Promise<string> => {
    const res = await fetch(`${emu.info.imdsEndpoint}?api-version=2018-02-01&resource=${encodeURIComponent(emu.info.environments.dev)}`, { headers: { Metadata: 'true' } });
    return ((await res.json()) as { access_token: string }).access_token;
  };

  it('refuses requests over the window with 429, Retry-After and 0x80072322, per identity', async () => {
    await control(emu, 'POST', 'settings', { limits: { requestsPerWindow: 2, windowSeconds: 120 } });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 2; i++) {
      const ok = await dataverse(emu, 'dev', 'WhoAmI', token);
      assert.equal(ok.status, 200);
      remaining.push(ok.headers.get('x-ms-ratelimit-burst-remaining-xrm-requests'));
    }
    assert.deepEqual(remaining, ['1', '0']);
    const res = await dataverse(emu, 'dev', 'WhoAmI', token);
    assert.equal(res.status, 429);
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 120, `Retry-After ${retryAfter}`);
    assert.deepEqual(await res.json(), { error: { code: '0x80072322', message: 'Number of requests exceeded the limit of 2 over time window of 120 seconds.' } });

    assert.equal((await dataverse(emu, 'dev', 'WhoAmI', await miToken())).status, 200, 'another identity is not throttled');
    assert.equal((await dataverse(emu, 'test', 'WhoAmI', await secretToken(emu, emu.info.environments.test))).status, 200, 'another environment is not throttled');
  });

  it('refuses concurrent requests over the limit with 429 and 0x80072326', async () => {
    await control(emu, 'POST', 'settings', { limits: { concurrentRequests: 1 } });
    await control(emu, 'POST', 'faults', { path: '/env/dev/api/data/v9.2/WhoAmI', delayMs: 1500 });
    const slow = dataverse(emu, 'dev', 'WhoAmI', token);
    // Wait until the slow request is inside the server (it is logged on arrival and holds its slot from then on).
    for (let i = 0; i < 200; i++) {
      const log = (await control(emu, 'GET', 'requests?path=/env/dev')).body as unknown[];
      if (log.length > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const second = await dataverse(emu, 'dev', 'WhoAmI', token);
    assert.equal(second.status, 429);
    assert.ok(Number(second.headers.get('retry-after')) >= 1);
    assert.deepEqual(await second.json(), { error: { code: '0x80072326', message: 'Number of concurrent requests exceeded the limit of 1.' } });
    assert.equal((await slow).status, 200);
    assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token)).status, 200, 'the slot is free again');
  });

  it('can limit the token endpoint too (limits.paths)', async () => {
    await control(emu, 'POST', 'settings', { limits: { requestsPerWindow: 1, paths: ['/entra/*'] } });
    const form = { client_id: emu.info.clientId, client_secret: emu.info.clientSecret ?? '', grant_type: 'client_credentials', scope: `${emu.info.environments.dev}/.default` };
    assert.equal((await requestToken(emu, form)).status, 200);
    const { status, body } = await requestToken(emu, form);
    assert.equal(status, 429);
    assert.equal(body.error, 'temporarily_unavailable');
    // Dataverse is no longer covered by the limits.
    for (let i = 0; i < 3; i++) assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token)).status, 200);
  });

  it('reset restores the seed limits and forgets the window', async () => {
    await control(emu, 'POST', 'settings', { limits: { requestsPerWindow: 1 } });
    await dataverse(emu, 'dev', 'WhoAmI', token);
    assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token)).status, 429);
    await control(emu, 'POST', 'reset');
    assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token)).status, 200);
    const info = (await control(emu, 'GET', 'info')).body as { limits: { requestsPerWindow: number } };
    assert.equal(info.limits.requestsPerWindow, 6000);
  });

  it('rejects invalid settings without changing anything', async () => {
    const bad = await control(emu, 'POST', 'settings', { tokenLifetimeSeconds: 10, limits: { requestsPerWindow: 0 } });
    assert.equal(bad.status, 400);
    assert.match((bad.body as { error: string }).error, /requestsPerWindow/);
    const info = (await control(emu, 'GET', 'info')).body as { tokenLifetimeSeconds: number };
    assert.equal(info.tokenLifetimeSeconds, 3599);
    assert.equal((await control(emu, 'POST', 'settings', { speed: 'fast' })).status, 400);
  });
});
