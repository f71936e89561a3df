import * as assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ServerResponse } from 'node:http';
import { UserError } from '../../../shared/core';
import { createHttpClient, type ClosableHttpClient } from '../../../shared/http';
import {
  AuthError, assertSecureUrl, createTokenProvider, loadSigningCertificate, type ClientSecretCredential, type CredentialConfig,
} from '../../../shared/auth';
import { repoRoot } from '../../helpers/paths';
import { startServer, type LocalServer } from '../http/local-servers';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SECRET = 'the-real-s3cret';
const RESOURCE = 'https://contoso.crm.dynamics.com';

function certificatePem(): string {
  return fs.readFileSync(path.join(repoRoot(), 'test/unit/auth/fixtures/test-only-cert-and-key.pem'), 'utf8');
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function decodeJwt(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown>; input: string; signature: Buffer } {
  const [h, c, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>,
    input: `${h}.${c}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

describe('shared/auth token providers', () => {
  let server: LocalServer;
  let http: ClosableHttpClient;
  let issued = 0;
  /** What the fake Entra does with a parsed token request; default: a token valid 1 h. */
  let entra: (form: URLSearchParams, res: ServerResponse) => void;

  const defaultEntra = (form: URLSearchParams, res: ServerResponse): void => {
    issued++;
    reply(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: `token-${issued}-${form.get('scope')}` });
  };

  beforeEach(async () => {
    issued = 0;
    entra = defaultEntra;
    server = await startServer((req, res, body) => {
      if (req.url?.startsWith('/entra/')) entra(new URLSearchParams(body.toString()), res);
      else reply(res, 404, {});
    });
    http = createHttpClient({ productVersion: '1', retry: { maxAttempts: 1 } });
  });
  afterEach(async () => {
    http.close();
    await server.close();
  });

  const secretConfig = (): ClientSecretCredential => ({
    kind: 'clientSecret', authorityHost: `${server.url}/entra`, tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET,
  });

  describe('client secret', () => {
    it('posts the client-credentials grant with scope <resource>/.default (trailing slash dropped)', async () => {
      const seen: string[] = [];
      const provider = createTokenProvider(secretConfig(), { http, onToken: (t) => seen.push(t) });
      const token = await provider.getToken(`${RESOURCE}/`);
      assert.equal(token, `token-1-${RESOURCE}/.default`);
      assert.deepEqual(seen, [token]);
      const request = server.requests[0];
      assert.equal(request.url, `/entra/${TENANT}/oauth2/v2.0/token`);
      assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
      const form = new URLSearchParams(request.body.toString());
      assert.equal(form.get('grant_type'), 'client_credentials');
      assert.equal(form.get('client_id'), CLIENT);
      assert.equal(form.get('client_secret'), SECRET);
      assert.equal(form.get('scope'), `${RESOURCE}/.default`);
    });

    it('caches per resource and shares one in-flight request between concurrent callers', async () => {
      const provider = createTokenProvider(secretConfig(), { http });
      const [a, b, c] = await Promise.all([provider.getToken(RESOURCE), provider.getToken(RESOURCE), provider.getToken(`${RESOURCE}/`)]);
      assert.equal(a, b);
      assert.equal(b, c);
      assert.equal(server.requests.length, 1);
      assert.equal(await provider.getToken(RESOURCE), a);
      assert.equal(server.requests.length, 1);
      await provider.getToken('https://api.advisor.powerapps.com');
      assert.equal(server.requests.length, 2);
    });

    it('refreshes 5 minutes before expiry, and on forceRefresh', async () => {
      let now = Date.UTC(2026, 0, 1);
      const provider = createTokenProvider(secretConfig(), { http, now: () => now });
      const first = await provider.getToken(RESOURCE);
      now += 3599_000 - 5 * 60_000 - 1000; // 5 min 1 s before expiry: still cached
      assert.equal(await provider.getToken(RESOURCE), first);
      now += 2000; // inside the 5-minute margin
      const second = await provider.getToken(RESOURCE);
      assert.notEqual(second, first);
      const third = await provider.getToken(RESOURCE, { forceRefresh: true });
      assert.notEqual(third, second);
      assert.equal(server.requests.length, 3);
    });

    it('a caller that aborts stops waiting; the shared request still serves the others; failures are not cached', async () => {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      entra = (form, res) => void held.then(() => defaultEntra(form, res));
      const provider = createTokenProvider(secretConfig(), { http });
      const controller = new AbortController();
      const aborted = provider.getToken(RESOURCE, { signal: controller.signal }).catch((e: unknown) => e);
      const waiting = provider.getToken(RESOURCE);
      await server.waitForRequests(1);
      controller.abort(new Error('stop'));
      assert.equal(((await aborted) as Error).message, 'stop');
      release();
      assert.equal(await waiting, `token-1-${RESOURCE}/.default`);
      assert.equal(server.requests.length, 1);

      entra = (_form, res) => reply(res, 400, { error: 'invalid_request', error_description: 'AADSTS900144: missing' });
      const failing = createTokenProvider(secretConfig(), { http });
      await assert.rejects(failing.getToken(RESOURCE), AuthError);
      entra = defaultEntra;
      assert.match(await failing.getToken(RESOURCE), /^token-/);
    });

    it('two providers never share tokens', async () => {
      await createTokenProvider(secretConfig(), { http }).getToken(RESOURCE);
      await createTokenProvider(secretConfig(), { http }).getToken(RESOURCE);
      assert.equal(server.requests.length, 2);
    });

    it('a wrong secret fails with tenant, application, AADSTS code and what to do, never the secret', async () => {
      entra = (_form, res) => reply(res, 401, {
        error: 'invalid_client',
        error_description: 'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: t\r\nCorrelation ID: corr-9\r\nTimestamp: 2026-01-01',
        error_codes: [7000215],
        correlation_id: 'corr-9',
      });
      const err = await createTokenProvider(secretConfig(), { http }).getToken(RESOURCE).catch((e: unknown) => e);
      assert.ok(err instanceof AuthError);
      assert.ok(err instanceof UserError);
      assert.equal(err.aadstsCode, 'AADSTS7000215');
      assert.equal(err.correlationId, 'corr-9');
      assert.match(err.message, new RegExp(`application ${CLIENT} in tenant ${TENANT}: AADSTS7000215: Invalid client secret provided`));
      assert.match(err.message, /correlation id corr-9/);
      assert.match(err.message, /create a new secret and update the service connection/);
      assert.ok(!err.message.includes('Trace ID'));
      assert.ok(!err.message.includes(SECRET));
    });

    it('an unknown tenant or application gets the matching advice', async () => {
      entra = (_form, res) => reply(res, 400, { error: 'unauthorized_client', error_description: 'AADSTS700016: Application not found in the directory.' });
      const err = await createTokenProvider(secretConfig(), { http }).getToken(RESOURCE).catch((e: unknown) => e);
      assert.ok(err instanceof AuthError);
      assert.equal(err.aadstsCode, 'AADSTS700016');
      assert.match(err.message, /check the application \(client\) id and tenant id/);
    });

    it('an unreachable authority says so and names the host', async () => {
      const closed = await startServer(() => undefined);
      await closed.close();
      const config = { ...secretConfig(), authorityHost: `${closed.url}/entra` };
      const err = await createTokenProvider(config, { http }).getToken(RESOURCE).catch((e: unknown) => e);
      assert.ok(err instanceof AuthError);
      assert.match(err.message, /Could not reach Microsoft Entra ID at 127\.0\.0\.1:\d+/);
    });

    it('refuses http:// authority hosts other than loopback, naming the setting', () => {
      assert.throws(
        () => createTokenProvider({ ...secretConfig(), authorityHost: 'http://login.example.com' }, { http }),
        (e: unknown) => e instanceof UserError && /authority host \(authorityHost\) 'http:\/\/login\.example\.com' is not allowed/.test(e.message),
      );
      assert.throws(() => createTokenProvider({ ...secretConfig(), clientSecret: '' }, { http }), /client secret/);
    });
  });

  describe('certificate', () => {
    it('signs an RS256 client assertion the certificate\'s public key verifies', async () => {
      const pem = certificatePem();
      const cert = new X509Certificate(pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0]);
      const config: CredentialConfig = { kind: 'certificate', authorityHost: `${server.url}/entra/`, tenantId: TENANT, clientId: CLIENT, certificatePem: pem };
      const before = Math.floor(Date.now() / 1000);
      await createTokenProvider(config, { http }).getToken(RESOURCE);
      const form = new URLSearchParams(server.requests[0].body.toString());
      assert.equal(form.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      assert.equal(form.get('client_secret'), null);
      const jwt = decodeJwt(form.get('client_assertion')!);
      assert.equal(jwt.header.alg, 'RS256');
      assert.equal(jwt.header['x5t#S256'], createHash('sha256').update(cert.raw).digest('base64url'));
      assert.equal(jwt.claims.aud, `${server.url}/entra/${TENANT}/oauth2/v2.0/token`);
      assert.equal(jwt.claims.iss, CLIENT);
      assert.equal(jwt.claims.sub, CLIENT);
      assert.match(String(jwt.claims.jti), /^[0-9a-f-]{36}$/);
      assert.ok(Number(jwt.claims.nbf) >= before - 1);
      assert.ok(Number(jwt.claims.exp) > Number(jwt.claims.nbf));
      assert.ok(verify('sha256', Buffer.from(jwt.input), cert.publicKey, jwt.signature));
    });

    it('says what is wrong with the PEM without printing it', () => {
      const pem = certificatePem();
      const certOnly = pem.replace(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/, '');
      assert.throws(() => loadSigningCertificate(certOnly), /no private key block/);
      const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      assert.throws(() => loadSigningCertificate(`${certOnly}\n${otherKey}`), /No certificate in the service connection matches its private key/);
      const keyOnly = pem.replace(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/, '');
      assert.throws(() => loadSigningCertificate(keyOnly), (e: unknown) => e instanceof UserError && /no CERTIFICATE block/.test(e.message) && !e.message.includes('PRIVATE KEY-----'));
    });
  });

  describe('workload identity federation', () => {
    it('gets the Azure DevOps OIDC token and sends it as client_assertion', async () => {
      const oidc = await startServer((req, res) => {
        const ok = req.headers.authorization === 'Bearer system-access-token';
        reply(res, ok ? 200 : 401, ok ? { oidcToken: 'ado-oidc-jwt' } : { message: 'no' });
      });
      try {
        const seen: string[] = [];
        const config: CredentialConfig = {
          kind: 'workloadIdentity', authorityHost: `${server.url}/entra`, tenantId: TENANT, clientId: CLIENT,
          serviceConnectionId: 'sc-1', oidcRequestUri: `${oidc.url}/proj/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken`,
          systemAccessToken: 'system-access-token',
        };
        const token = await createTokenProvider(config, { http, onToken: (t) => seen.push(t) }).getToken(RESOURCE);
        const call = oidc.requests[0];
        assert.equal(call.method, 'POST');
        assert.equal(call.url, '/proj/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken?api-version=7.1&serviceConnectionId=sc-1');
        const form = new URLSearchParams(server.requests[0].body.toString());
        assert.equal(form.get('client_assertion'), 'ado-oidc-jwt');
        assert.equal(form.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        assert.deepEqual(seen, ['ado-oidc-jwt', token]);

        const refused = { ...config, systemAccessToken: 'wrong' };
        const err = await createTokenProvider(refused, { http }).getToken(RESOURCE).catch((e: unknown) => e);
        assert.ok(err instanceof AuthError);
        assert.match(err.message, /Could not get the Azure DevOps OIDC token for service connection sc-1 \(HTTP 401/);
      } finally {
        await oidc.close();
      }
    });
  });

  describe('managed identity', () => {
    it('asks IMDS with Metadata: true, the resource and the user-assigned client id', async () => {
      const imds = await startServer((req, res) => {
        if (req.headers.metadata !== 'true') return reply(res, 400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
        const query = new URL(req.url ?? '', 'http://x').searchParams;
        if (query.get('client_id') === 'unknown') return reply(res, 400, { error: 'invalid_request', error_description: 'Identity not found' });
        reply(res, 200, { access_token: `mi-${query.get('resource')}`, expires_in: '86399', token_type: 'Bearer' });
      });
      try {
        const config: CredentialConfig = {
          kind: 'managedIdentity', authorityHost: 'https://login.microsoftonline.com', clientId: 'uami-1',
          imdsEndpoint: `${imds.url}/metadata/identity/oauth2/token`,
        };
        assert.equal(await createTokenProvider(config, { http }).getToken(`${RESOURCE}/`), `mi-${RESOURCE}`);
        assert.equal(
          imds.requests[0].url,
          `/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(RESOURCE)}&client_id=uami-1`,
        );
        const err = await createTokenProvider({ ...config, clientId: 'unknown' }, { http }).getToken(RESOURCE).catch((e: unknown) => e);
        assert.ok(err instanceof AuthError);
        assert.match(err.message, /IMDS refused a token for the user-assigned managed identity unknown .*HTTP 400 invalid_request: Identity not found/);
      } finally {
        await imds.close();
      }
    });
  });

  describe('assertSecureUrl', () => {
    it('accepts https and loopback http only', () => {
      for (const ok of ['https://contoso.crm.dynamics.com', 'http://127.0.0.1:7071/env/dev', 'http://localhost:1', 'http://[::1]:2', 'http://127.4.5.6']) {
        assert.equal(assertSecureUrl(ok, 'environment URL').href.startsWith(ok.slice(0, 8)), true);
      }
      assert.throws(() => assertSecureUrl('http://contoso.crm.dynamics.com', 'environment URL'), /environment URL 'http:\/\/contoso\.crm\.dynamics\.com' is not allowed: it must use https/);
      assert.throws(() => assertSecureUrl('http://128.0.0.1', 'environment URL'), /not allowed/);
      assert.throws(() => assertSecureUrl('not a url', 'environment URL'), /is not a valid URL/);
    });
  });
});
