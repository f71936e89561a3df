import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { startEmulator, type RunningEmulator } from '../../emulator';
import {
  bundleToTemp, endpointEnv, fixtureTask, inputEnv, nodeModulesAbove, runBundledTask, type BundledTask, type EndpointSpec,
} from '../fixtures/task-fixture/harness';

interface LoggedCall { method: string; path: string; headers: Record<string, string> }

async function requestLog(emulator: RunningEmulator): Promise<LoggedCall[]> {
  const res = await fetch(`${emulator.url}/_emulator/requests`);
  return (await res.json()) as LoggedCall[];
}

describe('e2e: a bundled task runs as its own process, with no node_modules', () => {
  let emulator: RunningEmulator;
  let bundle: BundledTask;
  let endpoint: EndpointSpec;

  before(async () => {
    emulator = await startEmulator();
    const fixture = fixtureTask();
    bundle = await bundleToTemp(fixture.entry, fixture.taskJson);
    endpoint = {
      id: 'ep-dev',
      url: emulator.info.environments.dev,
      scheme: 'None',
      parameters: {
        tenantId: emulator.info.tenantId,
        applicationId: emulator.info.clientId,
        clientSecret: emulator.info.clientSecret ?? '',
        authorityHost: emulator.info.authorityHost,
      },
    };
  });
  after(async () => {
    bundle?.remove();
    await emulator?.stop();
  });
  beforeEach(async () => { await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' }); });

  it('is one self-contained file in a folder with no node_modules above it', () => {
    assert.deepEqual(fs.readdirSync(bundle.dir).sort(), ['index.js', 'task.json']);
    assert.equal(nodeModulesAbove(bundle.dir), undefined);
    const source = fs.readFileSync(bundle.indexJs, 'utf8');
    assert.doesNotMatch(source, /require\(["']azure-pipelines-task-lib/, 'task-lib is bundled, not required at run time');
  });

  it('reads the connection, gets a token and calls WhoAmI: one token request, one WhoAmI, with a named User-Agent', async () => {
    const run = await runBundledTask(bundle.indexJs, {
      SYSTEM_DEBUG: 'true',
      ...inputEnv({ connection: endpoint.id }),
      ...endpointEnv(endpoint),
    });
    assert.equal(run.result, 'Succeeded', `${run.stdout}\n${run.stderr}`);
    assert.equal(run.exitCode, 0);
    assert.match(run.stdout, /^##\[group\]Connection check$/m);
    assert.match(run.stdout, /^##\[endgroup\]$/m);
    assert.match(run.outputs.userId ?? '', /^[0-9a-f-]{36}$/);
    assert.match(run.stdout, new RegExp(`Connected as user ${run.outputs.userId}`));

    const calls = await requestLog(emulator);
    const tokenCalls = calls.filter((c) => c.path.endsWith('/oauth2/v2.0/token'));
    const whoAmI = calls.filter((c) => c.path.endsWith('/WhoAmI'));
    assert.equal(tokenCalls.length, 1);
    assert.equal(whoAmI.length, 1);
    assert.ok(whoAmI[0].path.startsWith('/env/dev/'));
    assert.match(whoAmI[0].headers['user-agent'] ?? '', /^dataverse-alm-azure-pipelines\/0\.1\.0 /, 'version from the task.json beside the bundle');
    assert.equal(whoAmI[0].headers['odata-version'], '4.0');
  });

  it('talks to the environment named by environmentUrl instead of the connection URL', async () => {
    const run = await runBundledTask(bundle.indexJs, {
      ...inputEnv({ connection: endpoint.id, environmentUrl: emulator.info.environments.test }),
      ...endpointEnv(endpoint),
    });
    assert.equal(run.result, 'Succeeded', run.stdout);
    const whoAmI = (await requestLog(emulator)).filter((c) => c.path.endsWith('/WhoAmI'));
    assert.deepEqual(whoAmI.map((c) => c.path.split('/api/')[0]), ['/env/test']);
  });

  it('fails with the input named, without a stack trace, when the connection input is missing', async () => {
    const run = await runBundledTask(bundle.indexJs, { SYSTEM_DEBUG: 'true', ...endpointEnv(endpoint) });
    assert.equal(run.result, 'Failed');
    assert.match(run.resultMessage ?? '', /Input 'connection' is required/);
    assert.doesNotMatch(`${run.stdout}${run.stderr}`, /\n\s+at .+\(.+:\d+:\d+\)/, 'no stack trace for an expected failure');
    assert.equal((await requestLog(emulator)).length, 0, 'no call made');
  });

  it('stops when the agent cancels it (SIGTERM): the pending call is aborted and the result is Cancelled', async () => {
    await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method: 'GET', path: '/env/dev/api/data/v9.2/WhoAmI', delayMs: 30_000 }),
    });
    const run = await runBundledTask(bundle.indexJs, { ...inputEnv({ connection: endpoint.id }), ...endpointEnv(endpoint) },
      { interrupt: { when: /^Environment: /m, signal: 'SIGTERM' } });
    assert.equal(run.result, 'Cancelled', run.stdout + run.stderr);
    assert.match(run.stdout, /Received SIGTERM: cancelling\./);
    assert.doesNotMatch(run.stdout, /Connected as user/, 'the delayed WhoAmI was abandoned, not awaited');
  });

  it('fails naming the connection when the agent has no authorization data for it', async () => {
    const run = await runBundledTask(bundle.indexJs, { ...inputEnv({ connection: 'unknown-connection' }) });
    assert.equal(run.result, 'Failed');
    assert.match(run.resultMessage ?? '', /'unknown-connection'.*no authorization data/);
  });
});
