/**
 * shared/http + shared/auth + shared/dataverse against the emulator over real HTTP: every auth scheme, Entra
 * errors, retries on injected faults, token expiry, and a proxy. Retry waits go through an injected clock
 * that records them and returns at once (no real waiting).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, startEmulator, type RunningEmulator, type Seed } from '../../emulator';
import { AuthError, createTokenProvider, type CredentialConfig } from '../../shared/auth';
import { DataverseClient, DataverseError } from '../../shared/dataverse';
import { createHttpClient, HttpError, type ClosableHttpClient, type Clock, type ProxySettings } from '../../shared/http';
import { repoRoot } from '../helpers/paths';
import { startProxy } from '../unit/http/local-servers';

const CERT_APP = '66666666-6666-4666-8666-666666666666';

function certificateAndKeyPem(): string {
  return fs.readFileSync(path.join(repoRoot(), 'test/unit/auth/fixtures/test-only-cert-and-key.pem'), 'utf8');
}

function seed(): Seed {
  const certificateOnly = certificateAndKeyPem().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
  return {
    tenants: [{
      id: DEFAULTS.tenantId,
      apps: [
        {
          clientId: DEFAULTS.clientId,
          clientSecret: DEFAULTS.clientSecret,
          federated: true,
          federatedServiceConnections: [DEFAULTS.serviceConnectionId],
        },
        { clientId: CERT_APP, displayName: 'certificate app', certificatePem: certificateOnly },
      ],
      managedIdentities: [
        { clientId: DEFAULTS.systemAssignedIdentityClientId, objectId: DEFAULTS.systemAssignedIdentityObjectId, systemAssigned: true },
        { clientId: DEFAULTS.userAssignedIdentityClientId, objectId: DEFAULTS.userAssignedIdentityObjectId },
      ],
    }],
  };
}

/**
 * Clock for the transport: retry waits (under 10 s in these tests) fire at once and are recorded; longer timers
 * (the per-request timeouts) run in real time and are cleared when the answer comes.
 */
function instantClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => Date.now(),
    setTimeout: (callback, ms) => {
      if (ms >= 10_000) return setTimeout(callback, ms);
      waits.push(ms);
      return setImmediate(callback);
    },
    clearTimeout: (handle) => {
      clearTimeout(handle as NodeJS.Timeout);
      clearImmediate(handle as NodeJS.Immediate);
    },
  };
}

describe('e2e: transport and auth against the emulator', () => {
  let emulator: RunningEmulator;
  let http: ClosableHttpClient;
  let clock: ReturnType<typeof instantClock>;

  before(async () => {
    emulator = await startEmulator({ port: 0, seed: seed(), quiet: true });
  });
  after(async () => {
    await emulator.stop();
  });
  beforeEach(async () => {
    await control('POST', '/_emulator/reset');
    clock = instantClock();
    http = newHttp();
  });
  afterEach(() => http.close());

  function newHttp(proxy?: ProxySettings): ClosableHttpClient {
    return createHttpClient({ productVersion: '0.0.0-test', clock, random: () => 0.5, proxy });
  }

  async function control<T = unknown>(method: string, urlPath: string, body?: unknown): Promise<T> {
    const res = await fetch(`${emulator.url}${urlPath}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(res.ok, `${method} ${urlPath} → ${res.status}`);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  const devUrl = (): string => emulator.info.environments.dev;

  const secretConfig = (clientSecret: string = DEFAULTS.clientSecret): CredentialConfig => ({
    kind: 'clientSecret',
    authorityHost: emulator.info.authorityHost,
    tenantId: emulator.info.tenantId,
    clientId: emulator.info.clientId,
    clientSecret,
  });

  function dataverse(config: CredentialConfig, onToken?: (token: string) => void, client: ClosableHttpClient = http): DataverseClient {
    const tokenProvider = createTokenProvider(config, { http: client, onToken });
    return new DataverseClient({ environmentUrl: devUrl(), tokenProvider, http: client });
  }

  async function loggedRequests(prefix: string): Promise<Array<{ method: string; path: string; status: number }>> {
    return control('GET', `/_emulator/requests?path=${encodeURIComponent(prefix)}`);
  }

  describe('each auth scheme obtains a token and calls WhoAmI', () => {
    it('client secret', async () => {
      const tokens: string[] = [];
      const who = await dataverse(secretConfig(), (t) => tokens.push(t)).whoAmI();
      assert.match(who.UserId, /^[0-9a-f-]{36}$/);
      assert.equal(tokens.length, 1);
    });

    it('certificate (JWT client assertion)', async () => {
      const config: CredentialConfig = {
        kind: 'certificate',
        authorityHost: emulator.info.authorityHost,
        tenantId: emulator.info.tenantId,
        clientId: CERT_APP,
        certificatePem: certificateAndKeyPem(),
      };
      const who = await dataverse(config).whoAmI();
      assert.match(who.UserId, /^[0-9a-f-]{36}$/);
    });

    it('workload identity federation (Azure DevOps oidctoken → client_assertion)', async () => {
      const tokens: string[] = [];
      const config: CredentialConfig = {
        kind: 'workloadIdentity',
        authorityHost: emulator.info.authorityHost,
        tenantId: emulator.info.tenantId,
        clientId: emulator.info.clientId,
        serviceConnectionId: DEFAULTS.serviceConnectionId,
        oidcRequestUri: emulator.info.oidcRequestUri,
        systemAccessToken: emulator.info.devopsAccessToken,
      };
      const who = await dataverse(config, (t) => tokens.push(t)).whoAmI();
      assert.match(who.UserId, /^[0-9a-f-]{36}$/);
      assert.equal(tokens.length, 2, 'the OIDC token and the access token are both handed to onToken');
      assert.equal((await loggedRequests('/devops/')).length, 1);
    });

    it('managed identity via IMDS (system- and user-assigned)', async () => {
      const system: CredentialConfig = { kind: 'managedIdentity', authorityHost: emulator.info.authorityHost, imdsEndpoint: emulator.info.imdsEndpoint };
      const user: CredentialConfig = { ...system, clientId: DEFAULTS.userAssignedIdentityClientId };
      const [a, b] = [await dataverse(system).whoAmI(), await dataverse(user).whoAmI()];
      assert.notEqual(a.UserId, b.UserId);
    });
  });

  it('a wrong secret fails naming the tenant, the application and the AADSTS code', async () => {
    const err = await dataverse(secretConfig('not-the-secret')).whoAmI().catch((e: unknown) => e);
    assert.ok(err instanceof AuthError, String(err));
    assert.equal(err.aadstsCode, 'AADSTS7000215');
    assert.ok(err.message.includes(`application ${emulator.info.clientId} in tenant ${emulator.info.tenantId}`), err.message);
    assert.ok(err.message.includes('AADSTS7000215'));
    assert.ok(!err.message.includes('not-the-secret'));
  });

  it('429 with Retry-After: 2 is retried after 2 s', async () => {
    await control('POST', '/_emulator/faults', { path: '/env/dev/api/data/v9.2/WhoAmI', status: 429, retryAfter: 2 });
    await dataverse(secretConfig()).whoAmI();
    assert.deepEqual(clock.waits, [2000]);
    assert.deepEqual((await loggedRequests('/env/dev/api/data/v9.2/WhoAmI')).map((r) => r.status), [429, 200]);
  });

  it('three 503s then success', async () => {
    await control('POST', '/_emulator/faults', { path: '/env/dev/api/data/*', status: 503, count: 3 });
    await dataverse(secretConfig()).whoAmI();
    assert.deepEqual(clock.waits, [500, 1000, 2000]);
    assert.deepEqual((await loggedRequests('/env/dev/')).map((r) => r.status), [503, 503, 503, 200]);
  });

  it('a connection reset mid-response is retried for an idempotent GET', async () => {
    await control('POST', '/_emulator/faults', { method: 'GET', path: '/env/dev/api/data/v9.2/WhoAmI', reset: 'mid-response' });
    const who = await dataverse(secretConfig()).whoAmI();
    assert.match(who.UserId, /^[0-9a-f-]{36}$/);
    assert.equal((await loggedRequests('/env/dev/api/data/v9.2/WhoAmI')).length, 2);
    assert.equal(clock.waits.length, 1);
  });

  it('a connection dropped before any answer: the token POST is retried, a Dataverse action POST is not (outcome unknown)', async () => {
    await control('POST', '/_emulator/faults', { method: 'POST', path: '/entra/*', reset: 'before-response' });
    const dv = dataverse(secretConfig());
    await dv.whoAmI();
    assert.equal((await loggedRequests('/entra/')).filter((r) => r.method === 'POST').length, 2);

    await control('POST', '/_emulator/faults', { method: 'POST', path: '/env/dev/api/data/v9.2/PublishAllXml', reset: 'before-response' });
    const err = await dv.post('PublishAllXml', {}).catch((e: unknown) => e);
    assert.ok(err instanceof DataverseError, String(err));
    assert.ok(err.cause instanceof HttpError);
    assert.equal(err.cause.outcomeUnknown, true);
    assert.equal(err.cause.attempts, 1);
    assert.match(err.cause.message, /Outcome unknown/);
    assert.match(err.message, /connection to Dataverse at 127\.0\.0\.1:\d+ was lost during PublishAllXml .*may have been carried out, so it was not sent again/s);
    assert.equal((await loggedRequests('/env/dev/api/data/v9.2/PublishAllXml')).length, 1);
  });

  it('an expired token is refreshed once', async () => {
    const tokens: string[] = [];
    const dv = dataverse(secretConfig(), (t) => tokens.push(t));
    await dv.whoAmI();
    await control('POST', '/_emulator/tokens/expire');
    await dv.whoAmI();
    assert.equal(tokens.length, 2);
    assert.notEqual(tokens[0], tokens[1]);
    assert.deepEqual((await loggedRequests('/env/dev/')).map((r) => r.status), [200, 401, 200]);
    assert.equal((await loggedRequests('/entra/')).length, 2);
  });

  it('goes through the agent proxy', async () => {
    const proxy = await startProxy();
    const viaProxy = newHttp({ url: proxy.url });
    try {
      await dataverse(secretConfig(), undefined, viaProxy).whoAmI();
      const lines = proxy.seen.map((s) => s.line);
      assert.ok(lines.some((l) => l === `POST ${emulator.info.authorityHost}/${emulator.info.tenantId}/oauth2/v2.0/token`), lines.join('\n'));
      assert.ok(lines.some((l) => l === `GET ${devUrl()}/api/data/v9.2/WhoAmI`), lines.join('\n'));
    } finally {
      viaProxy.close();
      await proxy.close();
    }
  });
});
