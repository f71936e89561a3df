import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, startEmulator, type RunningEmulator } from '../../emulator';
import { repoRoot } from '../helpers/paths';
import {
  bundleToTemp, endpointEnv, findLeaks, fixtureTask, inputEnv, runBundledTask, startRecordingProxy,
  type BundledTask, type RecordingProxy, type TaskRun,
} from '../fixtures/task-fixture/harness';

const base64 = (value: string) => Buffer.from(value, 'utf8').toString('base64');

/**
 * Secrets and tokens must appear in a task's output only inside `##vso[task.setsecret]` (the agent consumes
 * those lines and masks the values everywhere after). The task runs with system.debug=true, where task-lib
 * is most talkative, and through a recording proxy set as the agent proxy, which tells the test exactly
 * which tokens the task obtained.
 */
describe('e2e: secrets never reach the log (bundled task, system.debug=true)', () => {
  let emulator: RunningEmulator;
  let bundle: BundledTask;
  let proxy: RecordingProxy;

  before(async () => {
    emulator = await startEmulator();
    const fixture = fixtureTask();
    bundle = await bundleToTemp(fixture.entry, fixture.taskJson);
  });
  after(async () => {
    bundle?.remove();
    await emulator?.stop();
  });
  beforeEach(async () => { proxy = await startRecordingProxy(); });
  afterEach(async () => { await proxy.stop(); });

  function run(env: Record<string, string>): Promise<TaskRun> {
    return runBundledTask(bundle.indexJs, { SYSTEM_DEBUG: 'true', AGENT_PROXYURL: proxy.url, ...env });
  }

  function assertMaskedEverywhere(result: TaskRun, secrets: Record<string, string>): void {
    assert.deepEqual(findLeaks(result, secrets), []);
    for (const [label, value] of Object.entries(secrets)) {
      assert.ok(result.maskedSecrets.includes(value), `${label} is registered with ##vso[task.setsecret]`);
    }
  }

  it('client secret: the secret, its base64 form and the access token are only in setsecret commands', async () => {
    const secret = emulator.info.clientSecret ?? '';
    const result = await run({
      ...inputEnv({ connection: 'ep1' }),
      ...endpointEnv({
        id: 'ep1', url: emulator.info.environments.dev, scheme: 'None',
        parameters: { tenantId: emulator.info.tenantId, applicationId: emulator.info.clientId, clientSecret: secret, authorityHost: emulator.info.authorityHost },
      }),
    });
    assert.equal(result.result, 'Succeeded', result.stdout);
    assert.equal(proxy.tokens.length, 1, `one token obtained through the agent proxy; proxied: ${proxy.requests.join(', ')}`);
    assert.deepEqual(proxy.bearerTokens, proxy.tokens, 'WhoAmI used that token (through the proxy too)');
    assert.match(proxy.tokens[0], /^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    assertMaskedEverywhere(result, {
      'the client secret': secret,
      'the base64 of the client secret': base64(secret),
      'the access token': proxy.tokens[0],
      'the base64 of the access token': base64(proxy.tokens[0]),
    });
  });

  it('workload identity federation: the job access token, the OIDC token and the access token are only in setsecret commands', async () => {
    const serviceConnectionId = emulator.info.serviceConnectionId ?? '';
    const result = await run({
      SYSTEM_OIDCREQUESTURI: emulator.info.oidcRequestUri,
      ...inputEnv({ connection: serviceConnectionId }),
      ...endpointEnv({
        id: serviceConnectionId, url: emulator.info.environments.dev, scheme: 'WorkloadIdentityFederation',
        parameters: { tenantid: emulator.info.tenantId, serviceprincipalid: emulator.info.clientId, authorityHost: emulator.info.authorityHost },
      }),
      ...endpointEnv({ id: 'SYSTEMVSSCONNECTION', url: emulator.info.devopsCollectionUri, scheme: 'OAuth', parameters: { AccessToken: emulator.info.devopsAccessToken } }),
    });
    assert.equal(result.result, 'Succeeded', result.stdout);
    assert.equal(proxy.tokens.length, 2, `an OIDC token then an access token; proxied: ${proxy.requests.join(', ')}`);
    const [oidcToken, accessToken] = proxy.tokens;
    assertMaskedEverywhere(result, {
      'the job access token (System.AccessToken)': emulator.info.devopsAccessToken,
      'the Azure DevOps OIDC token': oidcToken,
      'the access token': accessToken,
    });
  });

  it('managed identity: the access token is only in setsecret commands', async () => {
    const result = await run({
      DATAVERSE_ALM_IMDS_ENDPOINT: emulator.info.imdsEndpoint,
      ...inputEnv({ connection: 'msi' }),
      ...endpointEnv({ id: 'msi', url: emulator.info.environments.prod, scheme: 'ManagedServiceIdentity', parameters: {} }),
    });
    assert.equal(result.result, 'Succeeded', result.stdout);
    assert.equal(proxy.tokens.length, 1);
    assertMaskedEverywhere(result, { 'the access token': proxy.tokens[0] });
  });

  it('certificate: every line of the private key, the PEM\'s base64 form and the access token are only in setsecret commands', async function () {
    // Test-only certificate and key shared with the auth tests.
    const pemFile = path.join(repoRoot(), 'test', 'unit', 'auth', 'fixtures', 'test-only-cert-and-key.pem');
    if (!fs.existsSync(pemFile)) {
      console.log(`      skipped: ${pemFile} not found`);
      this.skip();
    }
    const pem = fs.readFileSync(pemFile, 'utf8');
    const certificateOnly = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0] ?? '';
    const clientId = '66666666-6666-4666-8666-666666666666';
    const certEmulator = await startEmulator({ seed: { tenants: [{ id: DEFAULTS.tenantId, apps: [{ clientId, certificatePem: certificateOnly }] }] } });
    try {
      const result = await run({
        ...inputEnv({ connection: 'cert' }),
        ...endpointEnv({
          id: 'cert', url: certEmulator.info.environments.dev, scheme: 'None',
          parameters: { tenantId: DEFAULTS.tenantId, applicationId: clientId, certificate: pem, authorityHost: certEmulator.info.authorityHost },
        }),
      });
      assert.equal(result.result, 'Succeeded', result.stdout);
      assert.equal(proxy.tokens.length, 1);
      const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]+?)-----END/.exec(pem)?.[1] ?? '';
      const keyLines = key.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= 8);
      assert.ok(keyLines.length > 5);
      assert.deepEqual(findLeaks(result, Object.fromEntries(keyLines.map((line, i) => [`private key line ${i + 1}`, line]))), []);
      assertMaskedEverywhere(result, {
        'the base64 of the certificate PEM': base64(pem.trim()),
        'the access token': proxy.tokens[0],
      });
    } finally {
      await certEmulator.stop();
    }
  });

  it('a wrong secret fails naming the tenant, the app and the AADSTS code, and the wrong secret stays masked', async () => {
    const wrong = 'not-the-right-secret~123';
    const result = await run({
      ...inputEnv({ connection: 'ep1' }),
      ...endpointEnv({
        id: 'ep1', url: emulator.info.environments.dev, scheme: 'None',
        parameters: { tenantId: emulator.info.tenantId, applicationId: emulator.info.clientId, clientSecret: wrong, authorityHost: emulator.info.authorityHost },
      }),
    });
    assert.equal(result.result, 'Failed');
    const message = result.resultMessage ?? '';
    assert.ok(message.includes(emulator.info.tenantId), `names the tenant: ${message}`);
    assert.ok(message.includes(emulator.info.clientId), `names the app: ${message}`);
    assert.match(message, /AADSTS7000215/);
    assert.equal(proxy.tokens.length, 0);
    assertMaskedEverywhere(result, { 'the wrong secret': wrong, 'its base64 form': base64(wrong) });
  });
});
