import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createSign, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunningEmulator } from '../../../emulator';
import { aadsts, control, decodePayload, requestToken, withEmulator } from './helpers';

const TENANT = 'aaaaaaaa-0000-4000-8000-00000000000a';
const OTHER_TENANT = 'bbbbbbbb-0000-4000-8000-00000000000b';
const CERT_APP = 'cccccccc-0000-4000-8000-00000000000c';
const SECRET_APP = 'dddddddd-0000-4000-8000-00000000000d';
const WIF_APP = 'eeeeeeee-0000-4000-8000-00000000000e';
const SERVICE_CONNECTION = 'ffffffff-0000-4000-8000-00000000000f';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface TestCertificate { keyPem: string; certPem: string; x5t: string; x5tS256: string }

function makeCertificate(dir: string, name: string): TestCertificate {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  const certPem = fs.readFileSync(certFile, 'utf8');
  const cert = new X509Certificate(certPem);
  return {
    keyPem: fs.readFileSync(keyFile, 'utf8'),
    certPem,
    x5t: createHash('sha1').update(cert.raw).digest('base64url'),
    x5tS256: createHash('sha256').update(cert.raw).digest('base64url'),
  };
}

function signAssertion(keyPem: string, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT', ...header })}.${b64(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(keyPem).toString('base64url')}`;
}

describe('emulator core: Entra token endpoint, IMDS, oidctoken', () => {
  let emu: RunningEmulator;
  let tmp: string;
  let cert: TestCertificate;
  let otherCert: TestCertificate;
  let tokenEndpoint: string;
  let devUrl: string;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-entra-'));
    cert = makeCertificate(tmp, 'registered');
    otherCert = makeCertificate(tmp, 'unregistered');
    emu = await withEmulator({
      tenants: [
        {
          id: TENANT,
          apps: [
            { clientId: SECRET_APP, clientSecret: 's3cret~value' },
            { clientId: CERT_APP, certificatePem: cert.certPem },
            { clientId: WIF_APP, federated: true, federatedServiceConnections: [SERVICE_CONNECTION] },
          ],
          managedIdentities: [
            { clientId: '11110000-0000-4000-8000-000000000001', objectId: '11110000-0000-4000-8000-0000000000aa', systemAssigned: true },
            { clientId: '11110000-0000-4000-8000-000000000002', objectId: '11110000-0000-4000-8000-0000000000bb' },
          ],
        },
        { id: OTHER_TENANT, apps: [{ clientId: SECRET_APP, clientSecret: 'other' }] },
      ],
      environments: [{ name: 'dev' }, { name: 'elsewhere', tenantId: OTHER_TENANT }],
    });
    tokenEndpoint = `${emu.info.authorityHost}/${TENANT}/oauth2/v2.0/token`;
    devUrl = emu.info.environments.dev;
  });
  after(async () => {
    await emu.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const secretForm = (overrides: Record<string, string> = {}): Record<string, string> => ({
    client_id: SECRET_APP, client_secret: 's3cret~value', grant_type: 'client_credentials', scope: `${devUrl}/.default`, ...overrides,
  });

  describe('client secret', () => {
    it('issues a signed access token with the documented claims', async () => {
      const { status, body } = await requestToken(emu, secretForm(), TENANT);
      assert.equal(status, 200);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3599);
      const claims = decodePayload(body.access_token as string);
      assert.equal(claims.aud, devUrl);
      assert.equal(claims.tid, TENANT);
      assert.equal(claims.appid, SECRET_APP);
      assert.match(String(claims.oid), /^[0-9a-f-]{36}$/);
      assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
      assert.equal((claims.exp as number) - (claims.iat as number), 3599);
      assert.equal(claims.iss, `${emu.info.authorityHost}/${TENANT}/v2.0`);
    });

    it('accepts the secret through HTTP Basic authentication', async () => {
      const basic = Buffer.from(`${encodeURIComponent(SECRET_APP)}:${encodeURIComponent('s3cret~value')}`).toString('base64');
      const { status } = await requestToken(emu, { grant_type: 'client_credentials', scope: `${devUrl}/.default` }, TENANT, { Authorization: `Basic ${basic}` });
      assert.equal(status, 200);
    });

    it('issues tokens for the checker resource', async () => {
      const { status, body } = await requestToken(emu, secretForm({ scope: 'https://api.advisor.powerapps.com/.default' }), TENANT);
      assert.equal(status, 200);
      assert.equal(decodePayload(body.access_token as string).aud, 'https://api.advisor.powerapps.com');
    });
  });

  describe('errors in the real shape', () => {
    const cases: { name: string; form: (u: string) => Record<string, string>; tenant?: string; status: number; error: string; code: number }[] = [
      { name: 'unknown tenant', form: () => ({}), tenant: '99999999-0000-4000-8000-000000000000', status: 400, error: 'invalid_request', code: 90002 },
      { name: 'missing grant_type', form: () => ({ grant_type: '' }), status: 400, error: 'invalid_request', code: 900144 },
      { name: 'missing client_id', form: () => ({ client_id: '' }), status: 400, error: 'invalid_request', code: 900144 },
      { name: 'missing scope', form: () => ({ scope: '' }), status: 400, error: 'invalid_request', code: 900144 },
      { name: 'unsupported grant type', form: () => ({ grant_type: 'password' }), status: 400, error: 'unsupported_grant_type', code: 70003 },
      { name: 'unknown app', form: () => ({ client_id: '12345678-0000-4000-8000-000000000000' }), status: 400, error: 'unauthorized_client', code: 700016 },
      { name: 'wrong secret', form: () => ({ client_secret: 'nope' }), status: 401, error: 'invalid_client', code: 7000215 },
      { name: 'no credential', form: () => ({ client_secret: '' }), status: 401, error: 'invalid_client', code: 7000218 },
      { name: 'two scopes', form: (u) => ({ scope: `${u}/.default https://api.advisor.powerapps.com/.default` }), status: 400, error: 'invalid_scope', code: 70011 },
      { name: 'scope without /.default', form: (u) => ({ scope: `${u}/user_impersonation` }), status: 400, error: 'invalid_scope', code: 70011 },
      { name: 'unknown resource', form: () => ({ scope: 'https://contoso.crm.dynamics.com/.default' }), status: 400, error: 'invalid_resource', code: 500011 },
      { name: 'environment of another tenant', form: () => ({ scope: `${emu.info.environments.elsewhere}/.default` }), status: 400, error: 'invalid_resource', code: 500011 },
    ];
    for (const c of cases) {
      it(`${c.name} → ${c.status} AADSTS${c.code}`, async () => {
        const form = Object.fromEntries(Object.entries(secretForm(c.form(devUrl))).filter(([, v]) => v !== ''));
        const { status, body } = await requestToken(emu, form, c.tenant ?? TENANT, { 'client-request-id': 'corr-1' });
        assert.equal(status, c.status);
        assert.equal(body.error, c.error);
        assert.equal(aadsts(body), c.code);
        assert.match(String(body.error_description), new RegExp(`^AADSTS${c.code}: `));
        assert.equal(body.correlation_id, 'corr-1');
        assert.match(String(body.trace_id), /^[0-9a-f-]{36}$/);
        assert.match(String(body.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
      });
    }

    it('names the app and the tenant in the wrong-secret and unknown-app messages', async () => {
      const wrong = await requestToken(emu, secretForm({ client_secret: 'nope' }), TENANT);
      assert.match(String(wrong.body.error_description), new RegExp(SECRET_APP));
      const unknown = await requestToken(emu, secretForm({ client_id: '12345678-0000-4000-8000-000000000000' }), TENANT);
      assert.match(String(unknown.body.error_description), new RegExp(TENANT));
    });

    it('refuses GET with AADSTS900561', async () => {
      const res = await fetch(tokenEndpoint);
      const body = await res.json() as Record<string, unknown>;
      assert.equal(res.status, 400);
      assert.equal(aadsts(body), 900561);
    });
  });

  describe('certificate (client assertion)', () => {
    const claims = (overrides: Record<string, unknown> = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return { aud: tokenEndpoint, iss: CERT_APP, sub: CERT_APP, jti: 'j1', nbf: now, exp: now + 600, ...overrides };
    };
    const assertionForm = (assertion: string): Record<string, string> => ({
      client_id: CERT_APP, client_assertion_type: JWT_BEARER, client_assertion: assertion, grant_type: 'client_credentials', scope: `${devUrl}/.default`,
    });

    it('accepts an RS256 assertion naming the certificate by x5t#S256', async () => {
      const { status, body } = await requestToken(emu, assertionForm(signAssertion(cert.keyPem, { 'x5t#S256': cert.x5tS256 }, claims())), TENANT);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(decodePayload(body.access_token as string).appid, CERT_APP);
    });

    it('accepts an assertion naming the certificate by x5t (SHA-1)', async () => {
      const { status } = await requestToken(emu, assertionForm(signAssertion(cert.keyPem, { x5t: cert.x5t }, claims())), TENANT);
      assert.equal(status, 200);
    });

    const failures: { name: string; make: () => string; code: number }[] = [
      { name: 'signed by another key under the registered thumbprint', make: () => signAssertion(otherCert.keyPem, { 'x5t#S256': cert.x5tS256 }, claims()), code: 700027 },
      { name: 'an unregistered certificate', make: () => signAssertion(otherCert.keyPem, { 'x5t#S256': otherCert.x5tS256 }, claims()), code: 700027 },
      { name: 'no thumbprint header', make: () => signAssertion(cert.keyPem, {}, claims()), code: 700027 },
      { name: 'a wrong audience', make: () => signAssertion(cert.keyPem, { 'x5t#S256': cert.x5tS256 }, claims({ aud: 'https://login.microsoftonline.com/x/oauth2/v2.0/token' })), code: 700212 },
      { name: 'iss/sub not the client id', make: () => signAssertion(cert.keyPem, { 'x5t#S256': cert.x5tS256 }, claims({ iss: SECRET_APP })), code: 700021 },
      { name: 'an expired assertion', make: () => signAssertion(cert.keyPem, { 'x5t#S256': cert.x5tS256 }, claims({ exp: Math.floor(Date.now() / 1000) - 60 })), code: 700024 },
      { name: 'not a JWT', make: () => 'not-a-jwt', code: 50027 },
    ];
    for (const f of failures) {
      it(`refuses ${f.name} with AADSTS${f.code}`, async () => {
        const { status, body } = await requestToken(emu, assertionForm(f.make()), TENANT);
        assert.equal(status, 401);
        assert.equal(body.error, 'invalid_client');
        assert.equal(aadsts(body), f.code);
      });
    }

    it('requires the jwt-bearer assertion type', async () => {
      const form = assertionForm(signAssertion(cert.keyPem, { 'x5t#S256': cert.x5tS256 }, claims()));
      const { status, body } = await requestToken(emu, { ...form, client_assertion_type: 'urn:other' }, TENANT);
      assert.equal(status, 400);
      assert.equal(aadsts(body), 50027);
    });
  });

  describe('workload identity federation (oidctoken → client_assertion)', () => {
    const oidcUrl = (serviceConnectionId?: string) => {
      const url = new URL(emu.info.oidcRequestUri);
      url.searchParams.set('api-version', '7.1');
      if (serviceConnectionId) url.searchParams.set('serviceConnectionId', serviceConnectionId);
      return url.toString();
    };
    const oidcToken = async (serviceConnectionId: string): Promise<string> => {
      const res = await fetch(oidcUrl(serviceConnectionId), { method: 'POST', headers: { Authorization: `Bearer ${emu.info.devopsAccessToken}` } });
      assert.equal(res.status, 200);
      return ((await res.json()) as { oidcToken: string }).oidcToken;
    };
    const wifForm = (assertion: string, clientId = WIF_APP): Record<string, string> => ({
      client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: assertion, grant_type: 'client_credentials', scope: `${devUrl}/.default`,
    });

    it('issues an oidc token with the service connection subject and the token-exchange audience', async () => {
      const claims = decodePayload(await oidcToken(SERVICE_CONNECTION));
      assert.equal(claims.sub, `sc://emulator/project/${SERVICE_CONNECTION}`);
      assert.equal(claims.aud, 'api://AzureADTokenExchange');
    });

    it('exchanges the oidc token for an access token', async () => {
      const { status, body } = await requestToken(emu, wifForm(await oidcToken(SERVICE_CONNECTION)), TENANT);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(decodePayload(body.access_token as string).appid, WIF_APP);
    });

    it('refuses a service connection the app does not trust (AADSTS70021)', async () => {
      const { status, body } = await requestToken(emu, wifForm(await oidcToken('00000000-0000-4000-8000-000000000999')), TENANT);
      assert.equal(status, 401);
      assert.equal(aadsts(body), 70021);
    });

    it('refuses an oidc token presented for an app without federation (AADSTS70021)', async () => {
      const { body } = await requestToken(emu, wifForm(await oidcToken(SERVICE_CONNECTION), CERT_APP), TENANT);
      assert.equal(aadsts(body), 70021);
    });

    it('refuses an expired oidc token (AADSTS700024)', async () => {
      const token = await oidcToken(SERVICE_CONNECTION);
      await control(emu, 'POST', 'tokens/expire');
      const { body } = await requestToken(emu, wifForm(token), TENANT);
      assert.equal(aadsts(body), 700024);
    });

    it('requires the job access token, api-version and serviceConnectionId', async () => {
      assert.equal((await fetch(oidcUrl(SERVICE_CONNECTION), { method: 'POST' })).status, 401);
      assert.equal((await fetch(oidcUrl(SERVICE_CONNECTION), { method: 'POST', headers: { Authorization: 'Bearer wrong' } })).status, 401);
      const noConnection = await fetch(oidcUrl(), { method: 'POST', headers: { Authorization: `Bearer ${emu.info.devopsAccessToken}` } });
      assert.equal(noConnection.status, 400);
      assert.match(((await noConnection.json()) as { message: string }).message, /serviceConnectionId/);
      const noVersion = await fetch(emu.info.oidcRequestUri + `?serviceConnectionId=${SERVICE_CONNECTION}`, { method: 'POST', headers: { Authorization: `Bearer ${emu.info.devopsAccessToken}` } });
      assert.equal(noVersion.status, 400);
    });
  });

  describe('managed identity (IMDS)', () => {
    const imds = (query: Record<string, string>, headers: Record<string, string> = { Metadata: 'true' }) =>
      fetch(`${emu.info.imdsEndpoint}?${new URLSearchParams({ 'api-version': '2018-02-01', ...query })}`, { headers });

    it('gives the system-assigned identity a token (numbers as strings)', async () => {
      const res = await imds({ resource: devUrl });
      assert.equal(res.status, 200);
      const body = await res.json() as Record<string, string>;
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.resource, devUrl);
      assert.equal(typeof body.expires_in, 'string');
      assert.equal(typeof body.expires_on, 'string');
      const claims = decodePayload(body.access_token);
      assert.equal(claims.appid, '11110000-0000-4000-8000-000000000001');
      assert.equal(claims.oid, '11110000-0000-4000-8000-0000000000aa');
      assert.equal(claims.aud, devUrl);
    });

    it('gives a user-assigned identity a token when client_id names it', async () => {
      const res = await imds({ resource: `${devUrl}/`, client_id: '11110000-0000-4000-8000-000000000002' });
      assert.equal(res.status, 200);
      assert.equal(decodePayload(((await res.json()) as Record<string, string>).access_token).appid, '11110000-0000-4000-8000-000000000002');
    });

    it('requires the Metadata header', async () => {
      const res = await imds({ resource: devUrl }, {});
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { error_description: string }).error_description, /metadata header/i);
    });

    it('refuses an unknown identity, an unknown resource and a missing resource', async () => {
      assert.equal((await imds({ resource: devUrl, client_id: '00000000-0000-4000-8000-00000000dead' })).status, 400);
      assert.equal((await imds({ resource: 'https://contoso.crm.dynamics.com' })).status, 400);
      assert.equal((await imds({})).status, 400);
    });
  });

  it('rejects a seed whose certificate is not a PEM certificate', async () => {
    await assert.rejects(withEmulator({ tenants: [{ id: TENANT, apps: [{ clientId: CERT_APP, certificatePem: 'junk' }] }] }), /certificatePem/);
  });
});
