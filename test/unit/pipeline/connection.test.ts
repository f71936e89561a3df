import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { UserError } from '../../../shared/core';
import { IMDS_ENDPOINT_ENV } from '../../../shared/auth/types';
import { readDataverseConnection } from '../../../shared/pipeline/connection';
import { secretForms } from '../../../shared/pipeline/secrets';
import type { EndpointAuth } from '../../../shared/pipeline/agent';
import { createFakeAgent, type FakeAgent } from './fakeAgent';

const TENANT = '11111111-2222-3333-4444-555555555555';
const APP = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SECRET = 'S3cret~value.with-chars_123';
const URL = 'https://contoso.crm.dynamics.com/';

function agentWith(auth: EndpointAuth | undefined, extra: { inputs?: Record<string, string>; variables?: Record<string, string>; url?: string } = {}): FakeAgent {
  return createFakeAgent({
    inputs: { connection: 'ep1', ...extra.inputs },
    variables: extra.variables ?? {},
    endpoints: {
      ep1: { url: extra.url ?? URL, auth },
      SYSTEMVSSCONNECTION: { url: 'https://dev.azure.com/org/', auth: { scheme: 'OAuth', parameters: { AccessToken: 'job-access-token-xyz' } } },
    },
  });
}

function userError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, String(err));
    for (const f of fragments) assert.ok(err.message.includes(f), `'${err.message}' should contain '${f}'`);
    return true;
  });
}

function pemWithKey(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return `-----BEGIN CERTIFICATE-----\nMIIBfakecertificatebodyline0001\n-----END CERTIFICATE-----\n${key}`;
}

describe('pipeline service connection (dataverse-alm)', () => {
  it('reads an app registration with a client secret and masks the secret and its base64 forms first', () => {
    const agent = agentWith({ scheme: 'None', parameters: { tenantId: TENANT, applicationId: APP, clientSecret: SECRET } });
    const conn = readDataverseConnection(agent);
    assert.deepEqual(conn.credential, {
      kind: 'clientSecret', authorityHost: 'https://login.microsoftonline.com', tenantId: TENANT, clientId: APP, clientSecret: SECRET,
    });
    assert.equal(conn.environmentUrl, 'https://contoso.crm.dynamics.com');
    assert.equal(conn.id, 'ep1');
    assert.ok(agent.secrets.includes(SECRET));
    assert.ok(agent.secrets.includes(Buffer.from(SECRET).toString('base64')));
    assert.ok(agent.secrets.includes(Buffer.from(SECRET).toString('base64url')));
    assert.equal(agent.calls.filter((c) => !c.startsWith('secret: ')).length, 0, 'nothing but setsecret before returning');
  });

  it('matches parameter names case-insensitively and honours authorityHost and the environmentUrl override', () => {
    const agent = agentWith(
      { scheme: 'NONE', parameters: { TENANTID: TENANT, APPLICATIONID: APP, CLIENTSECRET: SECRET, AUTHORITYHOST: 'https://login.microsoftonline.us' } },
      { inputs: { environmentUrl: 'https://test.crm.dynamics.com/' } });
    const conn = readDataverseConnection(agent);
    assert.equal(conn.credential.authorityHost, 'https://login.microsoftonline.us');
    assert.equal(conn.environmentUrl, 'https://test.crm.dynamics.com');
  });

  it('reads a certificate PEM and masks every key line plus its single-line encodings (the agent refuses multi-line secrets)', () => {
    const pem = pemWithKey();
    const agent = agentWith({ scheme: 'None', parameters: { tenantId: TENANT, applicationId: APP, certificate: pem } });
    const conn = readDataverseConnection(agent);
    assert.equal(conn.credential.kind, 'certificate');
    assert.ok(agent.secrets.every((s) => !/[\r\n]/.test(s)), 'no multi-line secret');
    const keyLines = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
    for (const line of keyLines) assert.ok(agent.secrets.includes(line), `line masked: ${line.slice(0, 12)}…`);
    assert.ok(agent.secrets.includes(Buffer.from(pem.trim()).toString('base64')));
  });

  it('refuses a certificate without a private key, and says when neither or both credentials are given', () => {
    userError(() => readDataverseConnection(agentWith({ scheme: 'None', parameters: { tenantId: TENANT, applicationId: APP, certificate: '-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----' } })),
      'has no private key', APP);
    userError(() => readDataverseConnection(agentWith({ scheme: 'None', parameters: { tenantId: TENANT, applicationId: APP } })),
      'neither a client secret nor a certificate', APP);
    const both = agentWith({ scheme: 'None', parameters: { tenantId: TENANT, applicationId: APP, clientSecret: SECRET, certificate: pemWithKey() } });
    userError(() => readDataverseConnection(both), 'both a client secret and a certificate', 'exactly one');
    assert.ok(both.secrets.includes(SECRET), 'secrets are masked even when the connection is then refused');
    userError(() => readDataverseConnection(agentWith({ scheme: 'None', parameters: { applicationId: APP, clientSecret: SECRET } })), 'Tenant ID', "'tenantId'");
  });

  it('reads workload identity federation with System.OidcRequestUri and the job token, masking the token', () => {
    const agent = agentWith({ scheme: 'WorkloadIdentityFederation', parameters: { tenantid: TENANT, serviceprincipalid: APP } },
      { variables: { 'System.OidcRequestUri': 'https://dev.azure.com/org/proj/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/oidctoken' } });
    const conn = readDataverseConnection(agent);
    assert.deepEqual(conn.credential, {
      kind: 'workloadIdentity', authorityHost: 'https://login.microsoftonline.com', tenantId: TENANT, clientId: APP,
      serviceConnectionId: 'ep1',
      oidcRequestUri: 'https://dev.azure.com/org/proj/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/oidctoken',
      systemAccessToken: 'job-access-token-xyz',
    });
    assert.ok(agent.secrets.includes('job-access-token-xyz'));
  });

  it('builds the oidctoken URL from the plan variables when System.OidcRequestUri is absent, and lists missing ones', () => {
    const auth: EndpointAuth = { scheme: 'WorkloadIdentityFederation', parameters: { tenantid: TENANT, serviceprincipalid: APP } };
    const conn = readDataverseConnection(agentWith(auth, { variables: {
      'System.CollectionUri': 'http://127.0.0.1:7071/devops', 'System.TeamProjectId': 'proj', 'System.HostType': 'build',
      'System.PlanId': 'plan', 'System.JobId': 'job',
    } }));
    assert.equal(conn.credential.kind === 'workloadIdentity' && conn.credential.oidcRequestUri,
      'http://127.0.0.1:7071/devops/proj/_apis/distributedtask/hubs/build/plans/plan/jobs/job/oidctoken');
    userError(() => readDataverseConnection(agentWith(auth, { variables: { 'System.CollectionUri': 'https://dev.azure.com/org/' } })),
      'System.TeamProjectId, System.HostType, System.PlanId, System.JobId');
  });

  it('says so when workload identity federation has no job token', () => {
    const agent = createFakeAgent({
      inputs: { connection: 'ep1' },
      endpoints: { ep1: { url: URL, auth: { scheme: 'WorkloadIdentityFederation', parameters: { tenantid: TENANT, serviceprincipalid: APP } } } },
    });
    userError(() => readDataverseConnection(agent), 'SYSTEMVSSCONNECTION');
  });

  describe('managed identity', () => {
    const saved = process.env[IMDS_ENDPOINT_ENV];
    afterEach(() => {
      if (saved === undefined) delete process.env[IMDS_ENDPOINT_ENV];
      else process.env[IMDS_ENDPOINT_ENV] = saved;
    });

    it('reads the optional user-assigned client id and the IMDS endpoint override', () => {
      process.env[IMDS_ENDPOINT_ENV] = 'http://127.0.0.1:9999/metadata/identity/oauth2/token';
      const conn = readDataverseConnection(agentWith({ scheme: 'ManagedServiceIdentity', parameters: { clientId: APP } }));
      assert.deepEqual(conn.credential, {
        kind: 'managedIdentity', authorityHost: 'https://login.microsoftonline.com', clientId: APP,
        imdsEndpoint: 'http://127.0.0.1:9999/metadata/identity/oauth2/token',
      });
      delete process.env[IMDS_ENDPOINT_ENV];
      assert.deepEqual(readDataverseConnection(agentWith({ scheme: 'ManagedServiceIdentity', parameters: {} })).credential,
        { kind: 'managedIdentity', authorityHost: 'https://login.microsoftonline.com' });
    });
  });

  it('refuses http:// for anything but loopback, bad URLs, unknown schemes and a missing connection', () => {
    const ok = { tenantId: TENANT, applicationId: APP, clientSecret: SECRET };
    assert.equal(readDataverseConnection(agentWith({ scheme: 'None', parameters: ok }, { url: 'http://127.0.0.1:7071/env/dev' })).environmentUrl,
      'http://127.0.0.1:7071/env/dev');
    userError(() => readDataverseConnection(agentWith({ scheme: 'None', parameters: ok }, { url: 'http://contoso.crm.dynamics.com' })),
      'http://contoso.crm.dynamics.com', 'accepted only for loopback');
    userError(() => readDataverseConnection(agentWith({ scheme: 'None', parameters: { ...ok, authorityHost: 'http://login.example.com' } })),
      'authority host', 'accepted only for loopback');
    userError(() => readDataverseConnection(agentWith({ scheme: 'None', parameters: ok }, { inputs: { environmentUrl: 'not a url' } })),
      "input 'environmentUrl'", 'not a valid URL');
    userError(() => readDataverseConnection(agentWith({ scheme: 'UsernamePassword', parameters: {} })), "'UsernamePassword'", 'does not support');
    userError(() => readDataverseConnection(agentWith(undefined)), "'ep1'", 'no authorization data');
    userError(() => readDataverseConnection(createFakeAgent()), "Input 'connection' is required");
  });
});

describe('pipeline secret forms', () => {
  it('gives the value, base64 and base64url for one-line secrets, and nothing for an empty one', () => {
    assert.deepEqual(secretForms('abcdefgh?>'), ['abcdefgh?>', Buffer.from('abcdefgh?>').toString('base64'), Buffer.from('abcdefgh?>').toString('base64url')]);
    assert.deepEqual(secretForms(''), []);
    assert.deepEqual(secretForms('abc'), ['abc'], 'a short secret is still masked, its short encodings are not');
  });
});
