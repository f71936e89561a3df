import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../../shared/core';
import { readAgentProxy } from '../../../shared/pipeline/proxy';
import { createAgentReporter } from '../../../shared/pipeline/reporter';
import { runTask } from '../../../shared/pipeline/run';
import { createFakeAgent } from './fakeAgent';

describe('pipeline reporter over the agent', () => {
  let tempDir: string;
  beforeEach(() => { tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvalm-reporter-')); });
  afterEach(() => fs.rmSync(tempDir, { recursive: true, force: true }));

  it('writes ##[group] sections (inner groups as headings), progress clamped to 0–100, outputs and logs', async () => {
    const agent = createFakeAgent();
    const reporter = createAgentReporter(agent, new AbortController().signal);
    const value = await reporter.group('Pack', async () => {
      reporter.info('packing');
      await reporter.group('Inner', async () => reporter.debug('detail'));
      reporter.progress(150.4, 'almost');
      reporter.progress(-3, 'start');
      reporter.warn('careful');
      reporter.setOutput('solutionName', 'Contoso');
      return 7;
    });
    assert.equal(value, 7);
    assert.deepEqual(agent.calls, [
      'log: ##[group]Pack', 'log: packing', 'log: -- Inner', 'debug: detail',
      'progress: 100 almost', 'progress: 0 start', 'warning: careful', 'output: solutionName=Contoso', 'log: ##[endgroup]',
    ]);
  });

  it('closes the group when the body throws', async () => {
    const agent = createFakeAgent();
    const reporter = createAgentReporter(agent, new AbortController().signal);
    await assert.rejects(reporter.group('Fails', async () => { throw new Error('boom'); }), /boom/);
    assert.deepEqual(agent.calls, ['log: ##[group]Fails', 'log: ##[endgroup]']);
  });

  it('writes a summary as a Markdown file in Agent.TempDirectory and attaches it with its title', () => {
    const agent = createFakeAgent({ variables: { 'Agent.TempDirectory': tempDir } });
    createAgentReporter(agent, new AbortController().signal).addSummary('Solution checker: 3 issues', '# Results\n');
    assert.equal(agent.attachments.length, 1);
    assert.equal(agent.attachments[0].title, 'Solution checker: 3 issues');
    assert.equal(path.dirname(agent.attachments[0].filePath), tempDir);
    assert.equal(fs.readFileSync(agent.attachments[0].filePath, 'utf8'), '# Results\n');
  });
});

describe('pipeline runTask', () => {
  it('sets Succeeded when main resolves', async () => {
    const agent = createFakeAgent({ inputs: { name: 'x' } });
    let seen = '';
    await runTask(async ({ inputs }) => { seen = inputs.required('name'); }, agent);
    assert.equal(seen, 'x');
    assert.deepEqual(agent.results, [{ result: 'Succeeded', message: 'Done.' }]);
  });

  it('reports a UserError as Failed with its message only, and an unexpected error with its stack under debug', async () => {
    const user = createFakeAgent();
    await runTask(async () => { throw new UserError('Solution.xml is missing.', 'Point sourceFolder at the unpacked folder.'); }, user);
    assert.deepEqual(user.results, [{ result: 'Failed', message: 'Solution.xml is missing. Point sourceFolder at the unpacked folder.' }]);
    assert.ok(!user.calls.some((c) => c.startsWith('debug:')), 'no stack for expected failures');

    const bug = createFakeAgent();
    await runTask(async () => { throw new TypeError('x is undefined'); }, bug);
    assert.deepEqual(bug.results, [{ result: 'Failed', message: 'x is undefined' }]);
    assert.ok(bug.calls.some((c) => c.startsWith('debug: TypeError: x is undefined\n    at ')), 'stack under debug');
  });

  it('turns SIGTERM into an aborted signal and a Cancelled result, and removes its handlers afterwards', async () => {
    const agent = createFakeAgent();
    const before = process.listenerCount('SIGTERM');
    await runTask(async ({ signal }) => {
      assert.equal(process.listenerCount('SIGTERM'), before + 1);
      process.emit('SIGTERM', 'SIGTERM');
      assert.ok(signal.aborted);
      throw signal.reason;
    }, agent);
    assert.deepEqual(agent.results, [{ result: 'Cancelled', message: 'The task was cancelled (SIGTERM).' }]);
    assert.ok(agent.calls.includes('warning: Received SIGTERM: cancelling.'));
    assert.equal(process.listenerCount('SIGTERM'), before);
  });

  it('reads the connection through the context, masking before anything else', async () => {
    const agent = createFakeAgent({
      inputs: { connection: 'ep' },
      endpoints: { ep: { url: 'https://org.crm.dynamics.com', auth: { scheme: 'None', parameters: { tenantId: 't', applicationId: 'a', clientSecret: 'secret-value-1' } } } },
    });
    await runTask(async (ctx) => {
      const conn = ctx.dataverseConnection();
      ctx.maskSecret('token-value-abcdef');
      ctx.reporter.info(`connected to ${conn.environmentUrl}`);
    }, agent);
    assert.equal(agent.calls[0], 'secret: secret-value-1');
    assert.ok(agent.secrets.includes('token-value-abcdef'));
    assert.deepEqual(agent.results, [{ result: 'Succeeded', message: 'Done.' }]);
  });
});

describe('pipeline agent proxy', () => {
  it('maps the agent proxy to shared/http settings and masks the password', () => {
    const agent = createFakeAgent({ proxy: { proxyUrl: 'http://proxy:8080', proxyUsername: 'u', proxyPassword: 'proxy-pass-123', proxyBypassHosts: ['\\.local$'] } });
    assert.deepEqual(readAgentProxy(agent), { url: 'http://proxy:8080', username: 'u', password: 'proxy-pass-123', bypass: ['\\.local$'] });
    assert.ok(agent.secrets.includes('proxy-pass-123'));
    assert.equal(readAgentProxy(createFakeAgent()), undefined);
  });
});
