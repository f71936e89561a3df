/** The checker emulator's HTTP contract (protocol.md §9, emulator/README.md "Power Apps checker"), with raw requests. */
import * as assert from 'node:assert/strict';
import { DEFAULTS, startEmulator, type RunningEmulator } from '../../../emulator';
import { checkerSolutionEntries } from './solutionZip';
import * as yazl from 'yazl';

const SECOND_APP = { clientId: '66666666-6666-4666-8666-666666666666', clientSecret: 'second-app-secret~X1' };
const CORRELATION = 'c0ffee00-0000-4000-8000-000000000001';

async function token(emu: RunningEmulator, resource = 'https://api.advisor.powerapps.com', app: { clientId: string; clientSecret: string } = {
  clientId: emu.info.clientId, clientSecret: emu.info.clientSecret ?? '',
}): Promise<string> {
  const res = await fetch(`${emu.info.authorityHost}/${emu.info.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: app.clientId, client_secret: app.clientSecret, grant_type: 'client_credentials', scope: `${resource}/.default` }).toString(),
  });
  assert.equal(res.status, 200);
  return (await res.json() as { access_token: string }).access_token;
}

function zipBytes(entries: Map<string, Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of entries) zip.addBuffer(content, name);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
}

function multipart(file: Buffer, partName = 'anything', boundary = 'b0undary'): { body: Buffer; contentType: string } {
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${partName}"; filename="My Solution.zip"\r\nContent-Type: application/zip\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('checker emulator: protocol', () => {
  let emu: RunningEmulator;
  let bearer: string;
  let solution: Buffer;
  const api = (p: string): string => `${emu.info.checkerUrl}/api/${p}`;
  const headers = (extra: Record<string, string> = {}, correlationId = CORRELATION): Record<string, string> => ({
    Authorization: `Bearer ${bearer}`, 'x-ms-tenant-id': emu.info.tenantId, 'x-ms-correlation-id': correlationId, ...extra,
  });
  const upload = async (correlationId = CORRELATION): Promise<string> => {
    const { body, contentType } = multipart(solution);
    const res = await fetch(api('upload?api-version=1.0'), { method: 'POST', headers: headers({ 'Content-Type': contentType }, correlationId), body });
    assert.equal(res.status, 200);
    return ((await res.json()) as string[])[0];
  };
  const analyze = (body: unknown, correlationId = CORRELATION): Promise<Response> =>
    fetch(api('analyze?api-version=1.0'), {
      method: 'POST',
      headers: headers({ 'Content-Type': 'application/json', Accept: 'application/json, application/x-ms-sarif-v2' }, correlationId),
      body: JSON.stringify(body),
    });
  const solutionChecker = [{ id: '0ad12346-e108-40b8-a956-9a8f95ea18c9' }];

  before(async () => {
    emu = await startEmulator({
      port: 0,
      quiet: true,
      seed: {
        tenants: [{ id: DEFAULTS.tenantId, apps: [{ clientId: DEFAULTS.clientId, clientSecret: DEFAULTS.clientSecret }, SECOND_APP] }],
        checker: { statusPolls: 3 },
      },
    });
    bearer = await token(emu);
    solution = await zipBytes(checkerSolutionEntries({ uniqueName: 'Raw', webResources: [{ name: 'new_/a.js', content: 'eval("x");\nXrm.Page.ui;\n' }] }));
  });
  after(async () => { await emu.stop(); });
  beforeEach(async () => { await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' }); });

  it('publishes checkerUrl in the info and serves the API under it', async () => {
    assert.equal(emu.info.checkerUrl, `${emu.url}/checker`);
    const info = await (await fetch(`${emu.url}/_emulator/info`)).json() as { checkerUrl: string };
    assert.equal(info.checkerUrl, emu.info.checkerUrl);
  });

  it('lists rulesets with or without a token, and refuses a bad token', async () => {
    const anonymous = await fetch(api('ruleset?api-version=2.0'));
    assert.equal(anonymous.status, 200);
    assert.deepEqual(await anonymous.json(), [
      { id: '0ad12346-e108-40b8-a956-9a8f95ea18c9', name: 'Solution Checker' },
      { id: '083a2ef5-7e0e-4754-9d88-9455142dc08b', name: 'AppSource Certification' },
    ]);
    assert.equal((await fetch(api('ruleset'), { headers: { Authorization: `Bearer ${bearer}` } })).status, 200);
    assert.equal((await fetch(api('ruleset'), { headers: { Authorization: 'Bearer not-a-token' } })).status, 401);
  });

  it('lists rules per ruleset (AppSource is a superset), with message formats on request, 204 for none', async () => {
    const sc = await (await fetch(api('rule?api-version=2.0&ruleset=0ad12346-e108-40b8-a956-9a8f95ea18c9'))).json() as { code: string; messageTemplates?: unknown }[];
    const as = await (await fetch(api('rule?ruleset=AppSource%20Certification&includeMessageFormats=true'))).json() as { code: string; messageTemplates?: unknown[] }[];
    assert.ok(sc.every((r) => as.some((a) => a.code === r.code)));
    assert.ok(as.length > sc.length);
    assert.ok(!sc.some((r) => r.code === 'web-sdl-no-insecure-url'));
    assert.equal(sc[0].messageTemplates, undefined);
    assert.equal(as[0].messageTemplates?.length, 1);
    assert.equal((await fetch(api('rule?ruleset=Nope'))).status, 204);
  });

  it('upload needs a checker token and the run headers', async () => {
    const { body, contentType } = multipart(solution);
    const post = (h: Record<string, string>): Promise<Response> => fetch(api('upload?api-version=1.0'), { method: 'POST', headers: { 'Content-Type': contentType, ...h }, body });
    const none = await post({ 'x-ms-tenant-id': emu.info.tenantId, 'x-ms-correlation-id': CORRELATION });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /resource_id="https:\/\/api\.advisor\.powerapps\.com\/"/);
    const dataverseToken = await token(emu, emu.info.environments.dev);
    const wrongAudience = await post({ Authorization: `Bearer ${dataverseToken}`, 'x-ms-tenant-id': emu.info.tenantId, 'x-ms-correlation-id': CORRELATION });
    assert.equal(wrongAudience.status, 401);
    assert.match(((await wrongAudience.json()) as { error: { message: string } }).error.message, /audience/);
    assert.equal((await post({ Authorization: `Bearer ${bearer}`, 'x-ms-correlation-id': CORRELATION })).status, 400);
    assert.equal((await post({ Authorization: `Bearer ${bearer}`, 'x-ms-tenant-id': emu.info.tenantId })).status, 400);
    const otherTenant = await post({ Authorization: `Bearer ${bearer}`, 'x-ms-tenant-id': '77777777-7777-4777-8777-777777777777', 'x-ms-correlation-id': CORRELATION });
    assert.equal(otherTenant.status, 400);
  });

  it('upload takes the file from the first part whatever its name, and answers a SAS URI list', async () => {
    const uri = await upload();
    assert.match(uri, new RegExp(`^${emu.url}/checker/blob/solution-files/[^/]+/My%20Solution\\.zip\\?.*sig=`));
    const download = await fetch(uri);
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), solution);
  });

  it('upload refuses what is not a zip (400), not multipart (400), and more than 30 MB (413)', async () => {
    const notZip = multipart(Buffer.from('hello, not a zip'));
    const res = await fetch(api('upload'), { method: 'POST', headers: headers({ 'Content-Type': notZip.contentType }), body: notZip.body });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /not a zip/);
    const raw = await fetch(api('upload'), { method: 'POST', headers: headers({ 'Content-Type': 'application/zip' }), body: solution });
    assert.equal(raw.status, 400);
    const big = multipart(Buffer.alloc(30 * 1024 * 1024 + 1));
    const tooLarge = await fetch(api('upload'), { method: 'POST', headers: headers({ 'Content-Type': big.contentType }), body: big.body });
    assert.equal(tooLarge.status, 413);
  });

  it('analyze answers 202 with a Location using a literal &, and 409 when the correlation id is reused', async () => {
    const uri = await upload();
    const res = await analyze({ sasUriList: [uri], ruleSets: solutionChecker });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('location'), `${emu.info.checkerUrl}/api/status/${CORRELATION}&api-version=1.0`);
    const again = await analyze({ sasUriList: [uri], ruleSets: solutionChecker });
    assert.equal(again.status, 409);
  });

  it('analyze validates its body and only reads SAS URLs it issued, with their signature', async () => {
    const uri = await upload();
    const codeOf = async (body: unknown, id: string): Promise<number> => (await analyze(body, id)).status;
    assert.equal(await codeOf({ sasUriList: [uri] }, 'c0ffee00-0000-4000-8000-0000000000a1'), 400);
    assert.equal(await codeOf({ sasUriList: [], ruleSets: solutionChecker }, 'c0ffee00-0000-4000-8000-0000000000a2'), 400);
    assert.equal(await codeOf({ sasUriList: [uri], ruleSets: [{ id: '12345678-1234-4234-8234-123456789012' }] }, 'c0ffee00-0000-4000-8000-0000000000a3'), 400);
    assert.equal(await codeOf({ sasUriList: [uri], ruleCodes: [{ code: 'no-such-rule' }] }, 'c0ffee00-0000-4000-8000-0000000000a4'), 400);
    assert.equal(await codeOf({ sasUriList: ['https://example.blob.core.windows.net/x/y.zip?sig=abc'], ruleSets: solutionChecker }, 'c0ffee00-0000-4000-8000-0000000000a5'), 400);
    assert.equal(await codeOf({ sasUriList: [uri.replace(/sig=[^&]+/, 'sig=forged')], ruleSets: solutionChecker }, 'c0ffee00-0000-4000-8000-0000000000a6'), 400);
    assert.equal(await codeOf({ sasUriList: [uri], ruleSets: solutionChecker }, 'c0ffee00-0000-4000-8000-0000000000a7'), 202);
  });

  it('status: 202 with progress for the configured polls, then 200; ? and & both work; 403 for another app; 404 unknown', async () => {
    await analyze({ sasUriList: [await upload()], ruleSets: solutionChecker });
    const amp = `${emu.info.checkerUrl}/api/status/${CORRELATION}&api-version=1.0`;
    const query = `${emu.info.checkerUrl}/api/status/${CORRELATION}?api-version=1.0`;
    const other = await token(emu, 'https://api.advisor.powerapps.com', SECOND_APP);
    const forbidden = await fetch(amp, { headers: { ...headers(), Authorization: `Bearer ${other}` } });
    assert.equal(forbidden.status, 403);

    const seen: { status: number; body: { status: string; progress: number; issueSummary?: unknown; resultFileUris?: string[] }; location: string | null }[] = [];
    for (const url of [amp, query, amp, query]) {
      const res = await fetch(url, { headers: headers() });
      seen.push({ status: res.status, body: await res.json() as never, location: res.headers.get('location') });
    }
    assert.deepEqual(seen.map((s) => [s.status, s.body.status, s.body.progress]), [[202, 'InProgress', 25], [202, 'InProgress', 50], [202, 'InProgress', 75], [200, 'Finished', 100]]);
    assert.equal(seen[0].location, amp);
    assert.deepEqual(seen[3].body.issueSummary, { informationalIssueCount: 0, lowIssueCount: 0, mediumIssueCount: 1, highIssueCount: 1, criticalIssueCount: 0 });
    assert.equal(seen[3].body.resultFileUris?.length, 1);

    const unknown = await fetch(`${emu.info.checkerUrl}/api/status/c0ffee00-0000-4000-8000-0000000000ff&api-version=1.0`, { headers: headers() });
    assert.equal(unknown.status, 404);
  });

  it('result blobs need the sig, refuse an Authorization header, and hold SARIF matching the summary', async () => {
    await analyze({ sasUriList: [await upload()], ruleSets: solutionChecker });
    let done: { resultFileUris: string[] } | undefined;
    for (let i = 0; i < 4 && !done; i++) {
      const res = await fetch(`${emu.info.checkerUrl}/api/status/${CORRELATION}&api-version=1.0`, { headers: headers() });
      if (res.status === 200) done = await res.json() as { resultFileUris: string[] };
    }
    const uri = done?.resultFileUris[0] ?? assert.fail('no result');
    assert.equal((await fetch(uri.replace(/[?&]sig=[^&]+/, ''))).status, 403);
    assert.equal((await fetch(uri.replace(/sig=[^&]+/, 'sig=AAAA'))).status, 403);
    const withAuth = await fetch(uri, { headers: { Authorization: `Bearer ${bearer}` } });
    assert.equal(withAuth.status, 403);
    assert.match(await withAuth.text(), /AuthenticationFailed/);
    const ok = await fetch(uri);
    assert.equal(ok.status, 200);
    const bytes = Buffer.from(await ok.arrayBuffer());
    assert.equal(bytes.readUInt32LE(0), 0x04034b50);
  });

  it('answers 405 for a wrong method and 404 for an unknown API', async () => {
    assert.equal((await fetch(api('upload'), { headers: headers() })).status, 405);
    assert.equal((await fetch(api('nothing'), { headers: headers() })).status, 404);
  });

  it('validates the checker seed', async () => {
    await assert.rejects(startEmulator({ seed: { checker: { outcome: 'Broken' as never } } }), /checker\.outcome/);
    await assert.rejects(startEmulator({ seed: { checker: { statusPolls: -1 } } }), /checker\.statusPolls/);
    await assert.rejects(startEmulator({ seed: { checker: { polls: 1 } as never } }), /unknown key\(s\) polls/);
  });
});
