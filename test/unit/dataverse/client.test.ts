import * as assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { UserError } from '../../../shared/core';
import type { TokenProvider } from '../../../shared/auth';
import { createHttpClient, type ClosableHttpClient } from '../../../shared/http';
import { DataverseClient, DataverseError } from '../../../shared/dataverse';
import { startServer, type Handler, type LocalServer } from '../http/local-servers';

/** Hands out token-1, token-2… (a new one on forceRefresh) and records the calls. */
function countingTokens(): TokenProvider & { calls: Array<{ resource: string; forceRefresh: boolean }> } {
  const calls: Array<{ resource: string; forceRefresh: boolean }> = [];
  let current = 1;
  return {
    calls,
    getToken: async (resource, options) => {
      calls.push({ resource, forceRefresh: options?.forceRefresh ?? false });
      if (options?.forceRefresh) current++;
      return `token-${current}`;
    },
  };
}

function reply(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; odata.metadata=minimal', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

describe('shared/dataverse client', () => {
  let server: LocalServer;
  let http: ClosableHttpClient;
  let tokens: ReturnType<typeof countingTokens>;
  let handler: Handler;

  beforeEach(async () => {
    tokens = countingTokens();
    handler = (_req, res) => reply(res, 404, { error: { code: '0x80060888', message: 'Resource not found' } });
    server = await startServer((req, res, body, index) => handler(req, res, body, index));
    http = createHttpClient({ productVersion: '1', retry: { maxAttempts: 1 } });
  });
  afterEach(async () => {
    http.close();
    await server.close();
  });

  const client = (): DataverseClient =>
    new DataverseClient({ environmentUrl: `${server.url}/env/dev/`, tokenProvider: tokens, http });

  it('calls WhoAmI under /api/data/v9.2 with the bearer token and the OData headers', async () => {
    handler = (_req, res) => reply(res, 200, { BusinessUnitId: 'b', UserId: 'u', OrganizationId: 'o' });
    const dv = client();
    assert.equal(dv.apiBase, `${server.url}/env/dev/api/data/v9.2`);
    assert.deepEqual(await dv.whoAmI(), { BusinessUnitId: 'b', UserId: 'u', OrganizationId: 'o' });
    const request = server.requests[0];
    assert.equal(request.url, '/env/dev/api/data/v9.2/WhoAmI');
    assert.equal(request.headers.authorization, 'Bearer token-1');
    assert.equal(request.headers.accept, 'application/json');
    assert.equal(request.headers['odata-maxversion'], '4.0');
    assert.equal(request.headers['odata-version'], '4.0');
    assert.deepEqual(tokens.calls, [{ resource: `${server.url}/env/dev`, forceRefresh: false }]);
  });

  it('findSolution selects the columns, escapes quotes, and returns undefined when absent', async () => {
    handler = (req, res) => {
      const filter = new URL(req.url ?? '', 'http://x').searchParams.get('$filter');
      reply(res, 200, { value: filter === "uniquename eq 'Contoso'" ? [{ solutionid: 's1', uniquename: 'Contoso', version: '1.0.0.0', ismanaged: true }] : [] });
    };
    const dv = client();
    assert.equal((await dv.findSolution('Contoso'))?.solutionid, 's1');
    assert.equal(await dv.findSolution("O'Brien"), undefined);
    const query = new URL(server.requests[1].url, 'http://x').searchParams;
    assert.equal(query.get('$select'), 'solutionid,uniquename,friendlyname,version,ismanaged,installedon,modifiedon');
    assert.equal(query.get('$filter'), "uniquename eq 'O''Brien'");
    assert.ok(server.requests[1].url.startsWith('/env/dev/api/data/v9.2/solutions?$select='));
  });

  it('post sends JSON; delete accepts 204', async () => {
    handler = (req, res, body) => (req.method === 'DELETE' ? reply(res, 204) : reply(res, 200, { echo: JSON.parse(body.toString()) }));
    const dv = client();
    assert.deepEqual(await dv.post('ExportSolution', { SolutionName: 'x', Managed: true }), { echo: { SolutionName: 'x', Managed: true } });
    assert.equal(server.requests[0].headers['content-type'], 'application/json');
    await dv.delete('solutions(1234)');
    assert.equal(server.requests[1].method, 'DELETE');
  });

  it('turns an OData error into a readable DataverseError with code and correlation id', async () => {
    handler = (_req, res) =>
      reply(res, 400, { error: { code: '0x80048060', message: 'The import file is invalid.' } }, { 'x-ms-service-request-id': 'corr-7' });
    const err = await client().post('ImportSolutionAsync', { CustomizationFile: '' }).catch((e: unknown) => e);
    assert.ok(err instanceof DataverseError);
    assert.ok(err instanceof UserError);
    assert.equal(err.status, 400);
    assert.equal(err.code, '0x80048060');
    assert.equal(err.correlationId, 'corr-7');
    assert.equal(err.message, 'Dataverse refused ImportSolutionAsync (HTTP 400, 0x80048060): The import file is invalid. (correlation id corr-7).');
  });

  it('on 401 refreshes the token once and retries once', async () => {
    handler = (req, res) =>
      req.headers.authorization === 'Bearer token-1'
        ? reply(res, 401, { error: { code: '0x80072560', message: 'ExpiredAuthTicket' } })
        : reply(res, 200, { BusinessUnitId: 'b', UserId: 'u', OrganizationId: 'o' });
    assert.equal((await client().whoAmI()).UserId, 'u');
    assert.deepEqual(tokens.calls.map((c) => c.forceRefresh), [false, true]);
    assert.deepEqual(server.requests.map((r) => r.headers.authorization), ['Bearer token-1', 'Bearer token-2']);
  });

  it('a second 401 fails with the advice, after a single refresh', async () => {
    handler = (_req, res) => reply(res, 401, { error: { code: '0x80072560', message: 'The user is not a member of the organization.' } });
    const err = await client().whoAmI().catch((e: unknown) => e);
    assert.ok(err instanceof DataverseError);
    assert.equal(err.status, 401);
    assert.match(err.message, /application user in this environment/);
    assert.equal(server.requests.length, 2);
    assert.equal(tokens.calls.filter((c) => c.forceRefresh).length, 1);
  });

  it('follows absolute URLs of its environment only (the token never goes to another host)', async () => {
    handler = (_req, res) => reply(res, 200, { value: [] });
    const dv = client();
    await dv.get(`${dv.apiBase}/solutions?$skiptoken=abc`);
    assert.equal(server.requests[0].url, '/env/dev/api/data/v9.2/solutions?$skiptoken=abc');
    assert.throws(() => dv.url('https://elsewhere.example.com/api/data/v9.2/solutions'), /Refusing to send the Dataverse token to https:\/\/elsewhere\.example\.com/);
    assert.throws(() => dv.url(`${server.url}/env/devx/api`), /Refusing/);
  });

  it('refuses a non-loopback http:// environment URL', () => {
    assert.throws(
      () => new DataverseClient({ environmentUrl: 'http://contoso.crm.dynamics.com', tokenProvider: tokens, http }),
      /environment URL 'http:\/\/contoso\.crm\.dynamics\.com' is not allowed/,
    );
  });

  it('an unreachable environment names the host and operation', async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    const dv = new DataverseClient({ environmentUrl: `${closed.url}/env/dev`, tokenProvider: tokens, http });
    const err = await dv.whoAmI().catch((e: unknown) => e);
    assert.ok(err instanceof DataverseError);
    assert.match(err.message, /Could not reach Dataverse at 127\.0\.0\.1:\d+ for WhoAmI: ECONNREFUSED/);
  });
});
