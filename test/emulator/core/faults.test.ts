import * as assert from 'node:assert/strict';
import type { RunningEmulator } from '../../../emulator';
import { control, dataverse, rawRequest, requestToken, secretToken, withEmulator } from './helpers';

describe('emulator core: fault injection', () => {
  let emu: RunningEmulator;
  let token: string;
  const whoAmIPath = '/env/dev/api/data/v9.2/WhoAmI';

  before(async () => {
    emu = await withEmulator();
  });
  beforeEach(async () => {
    await control(emu, 'POST', 'reset');
    token = await secretToken(emu);
  });
  after(() => emu.stop());

  const addFault = async (fault: Record<string, unknown>): Promise<string> => {
    const { status, body } = await control(emu, 'POST', 'faults', fault);
    assert.equal(status, 201, JSON.stringify(body));
    return (body as { id: string }).id;
  };

  it('answers with the injected status and Retry-After, once by default, then normally', async () => {
    await addFault({ path: whoAmIPath, status: 429, retryAfter: 2 });
    const throttled = await dataverse(emu, 'dev', 'WhoAmI', token);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '2');
    assert.equal(((await throttled.json()) as { error: { code: string } }).error.code, '0x80072322');
    assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token)).status, 200);
  });

  it('applies a fault `count` times to every path under a prefix', async () => {
    await addFault({ path: '/env/dev/api/data/*', status: 503, count: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await dataverse(emu, 'dev', 'WhoAmI', token)).status);
    assert.deepEqual(statuses, [503, 503, 503, 200]);
  });

  it('sends the given body and headers, and matches the method', async () => {
    await addFault({ method: 'POST', path: whoAmIPath, status: 500, body: { error: { code: '0x1', message: 'boom' } }, headers: { 'x-test': 'yes' } });
    assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token)).status, 200, 'GET is not matched');
    const res = await dataverse(emu, 'dev', 'WhoAmI', token, { method: 'POST' });
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-test'), 'yes');
    assert.deepEqual(await res.json(), { error: { code: '0x1', message: 'boom' } });
  });

  it('keeps a count of -1 fault until it is deleted by id', async () => {
    const id = await addFault({ path: whoAmIPath, status: 502, count: -1 });
    for (let i = 0; i < 3; i++) assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token)).status, 502);
    const listed = (await control(emu, 'GET', 'faults')).body as { id: string; hits: number }[];
    assert.deepEqual(listed.map((f) => [f.id, f.hits]), [[id, 3]]);
    assert.equal((await control(emu, 'DELETE', `faults/${id}`)).status, 200);
    assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token)).status, 200);
  });

  it('DELETE /_emulator/faults removes every fault', async () => {
    await addFault({ path: whoAmIPath, status: 500, count: 5 });
    await addFault({ path: '/entra/*', status: 500, count: 5 });
    await control(emu, 'DELETE', 'faults');
    assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token)).status, 200);
    assert.deepEqual((await control(emu, 'GET', 'faults')).body, []);
  });

  it("'before-response' drops the connection without an answer", async () => {
    await addFault({ path: whoAmIPath, reset: 'before-response' });
    const outcome = await rawRequest(`${emu.url}${whoAmIPath}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(outcome.status, undefined);
    assert.ok(outcome.error, 'the request failed');
    assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token)).status, 200);
  });

  it("'mid-response' sends the status line and part of the real answer, then drops the connection", async () => {
    await addFault({ path: whoAmIPath, reset: 'mid-response' });
    const outcome = await rawRequest(`${emu.url}${whoAmIPath}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(outcome.status, 200);
    assert.ok(outcome.error, 'the body did not complete');
    assert.ok(outcome.received.startsWith('{"@odata.context"'), outcome.received);
    assert.throws(() => JSON.parse(outcome.received));
  });

  it("'mid-response' with a status cuts the injected answer", async () => {
    await addFault({ path: whoAmIPath, status: 200, body: { value: ['a', 'b', 'c', 'd'] }, reset: 'mid-response' });
    const outcome = await rawRequest(`${emu.url}${whoAmIPath}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(outcome.status, 200);
    assert.ok(outcome.error);
    assert.ok(outcome.received.length < JSON.stringify({ value: ['a', 'b', 'c', 'd'] }).length);
  });

  it('delays a request that then succeeds', async () => {
    await addFault({ path: whoAmIPath, delayMs: 200 });
    const res = await dataverse(emu, 'dev', 'WhoAmI', token);
    assert.equal(res.status, 200);
    const log = (await control(emu, 'GET', `requests?path=${encodeURIComponent(whoAmIPath)}`)).body as { fault?: string }[];
    assert.ok(log[0].fault, 'the log names the fault');
  });

  it('logs a request answered by a fault with its fault id and its caller', async () => {
    const id = await addFault({ path: whoAmIPath, status: 503 });
    await dataverse(emu, 'dev', 'WhoAmI', token);
    const [entry] = (await control(emu, 'GET', `requests?path=${encodeURIComponent(whoAmIPath)}`)).body as { fault?: string; status: number; identity: { appId: string } | null }[];
    assert.equal(entry.fault, id);
    assert.equal(entry.status, 503);
    assert.equal(entry.identity?.appId, emu.info.clientId);
  });

  it('targets the token endpoint, IMDS and the oidctoken API by path', async () => {
    await addFault({ path: '/entra/*', status: 503, retryAfter: 1 });
    const entra = await requestToken(emu, { client_id: emu.info.clientId, client_secret: emu.info.clientSecret ?? '', grant_type: 'client_credentials', scope: `${emu.info.environments.dev}/.default` });
    assert.equal(entra.status, 503);
    assert.equal(entra.body.error, 'server_error');

    await addFault({ path: '/metadata/identity/oauth2/token', status: 429, retryAfter: 3 });
    const imds = await fetch(`${emu.info.imdsEndpoint}?api-version=2018-02-01&resource=${encodeURIComponent(emu.info.environments.dev)}`, { headers: { Metadata: 'true' } });
    assert.equal(imds.status, 429);
    assert.equal(imds.headers.get('retry-after'), '3');

    await addFault({ path: '/devops/*', reset: 'before-response' });
    const oidc = await rawRequest(`${emu.info.oidcRequestUri}?api-version=7.1&serviceConnectionId=x`, { method: 'POST', headers: { Authorization: `Bearer ${emu.info.devopsAccessToken}` } });
    assert.ok(oidc.error);
  });

  it('rejects malformed faults with a message naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ status: 500 }, /path/],
      [{ path: '/x', status: 99 }, /status/],
      [{ path: '/x', reset: 'sometimes' }, /reset/],
      [{ path: '/x', status: 500, count: 0 }, /count/],
      [{ path: '/x' }, /at least one/],
      [{ path: '/x', status: 500, colour: 'red' }, /colour/],
    ];
    for (const [fault, message] of cases) {
      const { status, body } = await control(emu, 'POST', 'faults', fault);
      assert.equal(status, 400, JSON.stringify(fault));
      assert.match((body as { error: string }).error, message);
    }
  });
});
