/**
 * shared/devops (azure-devops-node-api) against the emulated Azure DevOps work item API: the whole approval
 * flow with a simulated person, error mapping, retries on injected faults, and the agent proxy.
 */
import * as assert from 'node:assert/strict';
import { startEmulator, type RunningEmulator } from '../../../emulator';
import {
  createDevOpsClient, DevOpsError, waitForApproval, type DevOpsClient, type DevOpsClientOptions,
} from '../../../shared/devops';
import type { ProxySettings } from '../../../shared/http';
import { startProxy, type LocalProxy } from '../../unit/http/local-servers';

const PROJECT = 'DataverseALM';

async function control(emu: RunningEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${emu.url}/_emulator/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

function clientFor(emu: RunningEmulator, overrides: Partial<DevOpsClientOptions> = {}): DevOpsClient {
  return createDevOpsClient({
    collectionUrl: emu.info.devopsCollectionUri,
    project: PROJECT,
    accessToken: emu.info.devopsAccessToken,
    productVersion: '1.0.0',
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...overrides,
  });
}

const waitOptions = { approvedStates: ['Closed'], rejectedStates: ['Removed'], timeoutMs: 30_000, pollIntervalMs: 20 };

describe('emulator + shared/devops: approval work items', () => {
  let emu: RunningEmulator;

  before(async () => {
    emu = await startEmulator({ port: 0, quiet: true });
  });
  beforeEach(() => control(emu, 'POST', 'reset'));
  after(() => emu.stop());

  it('creates the approval work item with its fields and links, and the build service as its author', async () => {
    const client = clientFor(emu);
    const created = await client.createApprovalWorkItem({
      title: 'Approve Contoso 1.2.0.0 for Production',
      description: 'Deployed to Test.',
      assignedTo: 'Ada Lovelace <ada@contoso.com>',
      areaPath: `${PROJECT}\\Releases`,
      tags: ['dataverse', 'approval'],
      buildId: 42,
      runUrl: 'https://dev.azure.com/contoso/DataverseALM/_build/results?buildId=42',
    });
    assert.equal(created.type, 'Task');
    assert.equal(created.state, 'New');
    assert.equal(created.areaPath, `${PROJECT}\\Releases`);
    assert.equal(created.changedBy?.displayName, 'Project Collection Build Service (emulator)');
    assert.match(created.webUrl ?? '', /\/_workitems\/edit\/\d+$/);

    const { body } = await control(emu, 'GET', `devops/workitems/${created.id}`);
    const fields = body.fields as Record<string, unknown>;
    assert.equal(fields['System.Title'], 'Approve Contoso 1.2.0.0 for Production');
    assert.equal((fields['System.AssignedTo'] as { uniqueName: string }).uniqueName, 'ada@contoso.com');
    assert.equal(fields['System.Tags'], 'dataverse; approval');
    assert.match(String(fields['System.Description']), /<div>Deployed to Test\.<\/div><ul><li><a href="https:\/\/dev\.azure\.com\/contoso\/DataverseALM\/_build\/results\?buildId=42">Pipeline run<\/a>/);
    assert.deepEqual((body.relations as { rel: string; url: string }[]).map((r) => [r.rel, r.url]), [
      ['ArtifactLink', 'vstfs:///Build/Build/42'],
      ['Hyperlink', 'https://dev.azure.com/contoso/DataverseALM/_build/results?buildId=42'],
    ]);
  });

  it('returns granted with who approved and their comment once a person closes the work item', async () => {
    const client = clientFor(emu);
    const { id } = await client.createApprovalWorkItem({ title: 'Approve' });
    const polls: string[] = [];
    const waiting = waitForApproval(client, {
      ...waitOptions,
      workItemId: id,
      onPoll: (poll) => {
        polls.push(poll.status.state);
        // The person starts reviewing after the first poll and approves once the wait has seen that.
        if (poll.poll === 1) void control(emu, 'POST', `devops/workitems/${id}`, { state: 'Active', changedBy: 'Grace Hopper <grace@contoso.com>' });
        if (poll.status.state === 'Active' && polls.filter((s) => s === 'Active').length === 1) {
          void control(emu, 'POST', `devops/workitems/${id}`, { state: 'Closed', comment: 'Looks good, ship it', changedBy: 'Ada Lovelace <ada@contoso.com>' });
        }
      },
    });
    const outcome = await waiting;
    assert.equal(outcome.decision, 'granted');
    assert.deepEqual(outcome.decidedBy, { displayName: 'Ada Lovelace', uniqueName: 'ada@contoso.com' });
    assert.ok(outcome.decidedAt instanceof Date && !Number.isNaN(outcome.decidedAt.getTime()));
    assert.equal(outcome.latestComment?.text, 'Looks good, ship it');
    assert.equal(outcome.latestComment?.by?.displayName, 'Ada Lovelace');
    assert.equal(polls[0], 'New');
    assert.ok(polls.includes('Active'), polls.join(','));
  });

  it('returns rejected, and names the person who rejected even when someone comments afterwards', async () => {
    const client = clientFor(emu);
    const { id } = await client.createApprovalWorkItem({ title: 'Approve' });
    await control(emu, 'POST', `devops/workitems/${id}`, { state: 'Removed', comment: 'Not before the freeze ends', changedBy: 'Release Manager <rm@contoso.com>' });
    await client.addComment(id, 'Noted, the pipeline will stop.');

    const outcome = await waitForApproval(client, { ...waitOptions, workItemId: id });
    assert.equal(outcome.decision, 'rejected');
    assert.equal(outcome.decidedBy?.uniqueName, 'rm@contoso.com');
    assert.equal(outcome.workItem.changedBy?.displayName, 'Project Collection Build Service (emulator)');
    assert.equal(outcome.latestComment?.text, 'Noted, the pipeline will stop.');
  });

  it('times out when nobody decides', async () => {
    const client = clientFor(emu);
    const { id } = await client.createApprovalWorkItem({ title: 'Approve' });
    const outcome = await waitForApproval(client, { ...waitOptions, workItemId: id, timeoutMs: 100 });
    assert.equal(outcome.decision, 'timed-out');
    assert.equal(outcome.workItem.state, 'New');
    assert.ok(outcome.polls >= 2);
  });

  it('maps refusals to clear errors: bad token, missing project, missing type, unknown area, no permission', async () => {
    const expectFailure = async (promise: Promise<unknown>, status: number, pattern: RegExp): Promise<void> => {
      await assert.rejects(promise, (err: unknown) => {
        assert.ok(err instanceof DevOpsError, String(err));
        assert.equal(err.status, status);
        assert.match(err.message, pattern);
        return true;
      });
    };
    await expectFailure(clientFor(emu, { accessToken: 'not-the-job-token' }).createApprovalWorkItem({ title: 'x' }), 401, /HTTP 401 — TF400813.*System\.AccessToken/);
    await expectFailure(clientFor(emu, { project: 'Nowhere' }).createApprovalWorkItem({ title: 'x' }), 404, /project 'Nowhere' was not found/);
    await expectFailure(clientFor(emu).createApprovalWorkItem({ title: 'x', type: 'Approval' }), 404,
      /type 'Approval' does not exist in project 'DataverseALM'\. Use one of the project's work item types: Task, Bug, User Story/);
    await expectFailure(clientFor(emu).createApprovalWorkItem({ title: 'x', areaPath: 'Elsewhere\\Team' }), 400, /TF401347: Invalid tree name/);
    await expectFailure(clientFor(emu).getWorkItemStatus(999), 404, /Work item 999 was not found/);

    await control(emu, 'POST', 'faults', {
      method: 'POST',
      path: `/devops/${PROJECT}/_apis/wit/workItems/$Task`,
      status: 403,
      body: { $id: '1', message: 'TF237111: The current user does not have permissions to save work items under the specified area path.', typeKey: 'UnauthorizedAccessException' },
    });
    await expectFailure(clientFor(emu).createApprovalWorkItem({ title: 'x', areaPath: `${PROJECT}\\Releases` }), 403,
      /TF237111.*cannot create or edit work items: allow 'Project Collection Build Service \(devops\)'.*in area 'DataverseALM\\Releases'/);
  });

  it('retries reads after injected 503s and 429s (Retry-After), and a write after a 429', async () => {
    const client = clientFor(emu);
    await control(emu, 'POST', 'faults', { method: 'POST', path: `/devops/${PROJECT}/_apis/wit/workItems/$Task`, status: 429, retryAfter: 0 });
    const { id } = await client.createApprovalWorkItem({ title: 'Approve' });
    const path = `/devops/${PROJECT}/_apis/wit/workItems/${id}`;
    await control(emu, 'POST', 'faults', { method: 'GET', path, status: 503, count: 2 });
    await control(emu, 'POST', 'faults', { method: 'GET', path, status: 429, retryAfter: 0 });
    assert.equal((await client.getWorkItemStatus(id)).state, 'New');
    const { body } = await control(emu, 'GET', 'devops/workitems');
    assert.equal((body as unknown as unknown[]).length, 1, 'the throttled create made exactly one work item');
    const requests = (await control(emu, 'GET', `requests?path=${encodeURIComponent(path)}`)).body as unknown as { status: number }[];
    assert.deepEqual(requests.map((r) => r.status), [503, 503, 429, 200]);
  });

  it('does not repeat a create after a 502 (the server may have created it)', async () => {
    await control(emu, 'POST', 'faults', { method: 'POST', path: `/devops/${PROJECT}/_apis/wit/workItems/$Task`, status: 502 });
    await assert.rejects(clientFor(emu).createApprovalWorkItem({ title: 'x' }), /HTTP 502/);
    const requests = (await control(emu, 'GET', `requests?path=${encodeURIComponent(`/devops/${PROJECT}/_apis/wit/workItems`)}`)).body as unknown as unknown[];
    assert.equal(requests.length, 1);
  });

  describe('through the agent proxy', () => {
    let proxy: LocalProxy;

    beforeEach(async () => {
      proxy = await startProxy();
    });
    afterEach(() => proxy.close());

    it('sends every call through the proxy given as ProxySettings, with its credentials', async () => {
      const settings: ProxySettings = { url: proxy.url, username: 'agent', password: 'pr0xy' };
      const client = clientFor(emu, { proxy: settings });
      const { id } = await client.createApprovalWorkItem({ title: 'Approve' });
      await client.getWorkItemStatus(id);

      const port = new URL(emu.url).port;
      assert.ok(proxy.seen.length >= 1);
      assert.ok(proxy.seen.every((s) => s.line === `CONNECT 127.0.0.1:${port}`), JSON.stringify(proxy.seen));
      assert.equal(proxy.seen[0].proxyAuthorization, `Basic ${Buffer.from('agent:pr0xy').toString('base64')}`);
    });

    it('goes direct for URLs on the bypass list', async () => {
      const client = clientFor(emu, { proxy: { url: proxy.url, bypass: ['127\\.0\\.0\\.1'] } });
      await client.createApprovalWorkItem({ title: 'Approve' });
      assert.deepEqual(proxy.seen, []);
    });
  });
});
