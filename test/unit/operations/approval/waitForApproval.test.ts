/**
 * waitForApproval against the real emulator's Azure DevOps work items, with a simulated approver acting in
 * Azure Boards through the control API: approve, reject (with who and why), timeout and cancellation.
 */
import * as assert from 'node:assert/strict';
import { startEmulator, type RunningEmulator } from '../../../../emulator';
import { createDevOpsClient, type DevOpsClient } from '../../../../shared/devops';
import { createRecordingReporter, type RecordingReporter } from '../../../../shared/operations/reporter';
import { approvalTitle, waitForApproval, type WaitForApprovalOptions } from '../../../../shared/operations/waitForApproval';

const PROJECT = 'DataverseALM';
const RUN_URL = 'https://dev.azure.com/contoso/DataverseALM/_build/results?buildId=42';

interface EmulatedWorkItem {
  id: number;
  fields: Record<string, unknown>;
  relations?: Array<{ rel: string; url: string }>;
  comments?: Array<{ text: string }>;
}

async function control(emu: RunningEmulator, method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${emu.url}/_emulator/${route}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** The id of the first work item once the operation has created it. */
async function createdWorkItem(emu: RunningEmulator): Promise<EmulatedWorkItem> {
  for (let i = 0; i < 500; i++) {
    const { body } = await control(emu, 'GET', 'devops/workitems');
    const items = (Array.isArray(body) ? body : (body as { value?: unknown[] }).value ?? []) as EmulatedWorkItem[];
    if (items.length > 0) return items[0];
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the approval work item was never created');
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'the operation never got there');
}

async function act(emu: RunningEmulator, id: number, change: { state?: string; comment?: string; changedBy?: string }): Promise<void> {
  const { status, body } = await control(emu, 'POST', `devops/workitems/${id}`, change);
  assert.equal(status, 200, JSON.stringify(body));
}

describe('operations: waitForApproval (against the emulator)', function () {
  this.timeout(60_000);
  let emu: RunningEmulator;
  let devops: DevOpsClient;

  before(async () => {
    emu = await startEmulator({ port: 0, quiet: true });
    devops = createDevOpsClient({
      collectionUrl: emu.info.devopsCollectionUri, project: PROJECT, accessToken: emu.info.devopsAccessToken,
      productVersion: '1.0.0', retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
  });
  beforeEach(() => control(emu, 'POST', 'reset'));
  after(() => emu.stop());

  function options(overrides: Partial<WaitForApprovalOptions> = {}): WaitForApprovalOptions {
    return {
      solutionName: 'ContosoSales', solutionVersion: '1.3.0.0', targetEnvironment: 'Production',
      approvedStates: ['Closed'], rejectedStates: ['Removed'], timeoutMs: 30_000, pollIntervalMs: 20, progressIntervalMs: 0,
      buildId: 42, runUrl: RUN_URL, ...overrides,
    };
  }

  it('creates a work item naming solution, version and environment, linked to the run, and returns who approved', async () => {
    const reporter = createRecordingReporter();
    const pending = waitForApproval(options({ assignedTo: 'Ada Lovelace <ada@contoso.com>', tags: ['release'] }), { devops }, reporter);
    const item = await createdWorkItem(emu);
    assert.equal(item.fields['System.Title'], 'Approve ContosoSales 1.3.0.0 for Production');
    assert.match(String(item.fields['System.Description']), /deploy solution ContosoSales 1\.3\.0\.0 to Production/);
    assert.match(String(item.fields['System.Description']), /move this work item to 'Closed'/);
    assert.deepEqual((item.relations ?? []).map((r) => [r.rel, r.url]).sort(), [['ArtifactLink', 'vstfs:///Build/Build/42'], ['Hyperlink', RUN_URL]]);

    await until(() => reporter.lines.some((l) => l.startsWith('Still waiting')));
    await act(emu, item.id, { state: 'Active', changedBy: 'Ada Lovelace <ada@contoso.com>' });
    await until(() => reporter.lines.some((l) => l.includes("moved to 'Active'")));
    await act(emu, item.id, { state: 'Closed', comment: 'Tested in UAT, ship it', changedBy: 'Ada Lovelace <ada@contoso.com>' });
    const result = await pending;

    assert.equal(result.workItemId, item.id);
    assert.equal(result.state, 'Closed');
    assert.equal(result.approvedBy, 'Ada Lovelace <ada@contoso.com>');
    assert.ok(result.approvedAt instanceof Date);
    assert.equal(result.comment, 'Tested in UAT, ship it');
    assert.match(result.workItemUrl ?? '', /_workitems\/edit\/\d+$/);
    assert.ok(reporter.lines.some((l) => l.startsWith(`Created Task ${item.id} 'Approve ContosoSales 1.3.0.0 for Production'`)), reporter.lines.join('\n'));
    assert.ok(reporter.lines.some((l) => /^Still waiting for approval of work item \d+ \(state 'New'\): \d+ s so far/.test(l)), reporter.lines.join('\n'));
    assert.ok(reporter.lines.includes(`Work item ${item.id} moved to 'Active' (by Ada Lovelace <ada@contoso.com>).`), reporter.lines.join('\n'));
    assert.ok(reporter.lines.some((l) => /^Approved by Ada Lovelace <ada@contoso\.com> at .*: "Tested in UAT, ship it"$/.test(l)), reporter.lines.join('\n'));
    assert.equal(reporter.progressUpdates.at(-1)?.percent, 100);
  });

  it('a rejection is a UserError naming who rejected, their comment and what to do', async () => {
    const pending = waitForApproval(options(), { devops }, createRecordingReporter());
    const item = await createdWorkItem(emu);
    await act(emu, item.id, { state: 'Removed', comment: 'Flow connections are not set up in Production yet', changedBy: 'Grace Hopper <grace@contoso.com>' });
    await assert.rejects(pending, (err: Error) => {
      assert.equal(err.name, 'UserError');
      assert.match(err.message, /^Approve ContosoSales 1\.3\.0\.0 for Production was rejected by Grace Hopper <grace@contoso\.com> at \d{4}-/);
      assert.match(err.message, new RegExp(`work item ${item.id} .*moved to 'Removed'\\): "Flow connections are not set up in Production yet"\\.`));
      assert.match(err.message, /run the pipeline again/);
      return true;
    });
  });

  it('a timeout is a UserError saying how long it waited and what to do, and notes it on the work item', async () => {
    await assert.rejects(waitForApproval(options({ timeoutMs: 150, assignedTo: 'Ada Lovelace <ada@contoso.com>' }), { devops }, createRecordingReporter()), (err: Error) => {
      assert.equal(err.name, 'UserError');
      assert.match(err.message, /^No approval decision within \d+ s for Approve ContosoSales 1\.3\.0\.0 for Production: work item \d+ .*is still 'New'\./);
      assert.match(err.message, /Ask the approver \(Ada Lovelace <ada@contoso\.com>\) to decide, then re-run this stage/);
      return true;
    });
    const item = await createdWorkItem(emu);
    const { body } = await control(emu, 'GET', `devops/workitems/${item.id}`);
    const comments = (body as EmulatedWorkItem).comments ?? [];
    assert.ok(comments.some((c) => /stopped waiting for this approval/.test(c.text)), JSON.stringify(comments));
  });

  it('cancellation stops waiting and says the work item stays open', async () => {
    const controller = new AbortController();
    const reporter: RecordingReporter = createRecordingReporter(controller.signal);
    const pending = waitForApproval(options(), { devops }, reporter);
    await createdWorkItem(emu);
    controller.abort();
    await assert.rejects(pending, (err: Error) => {
      assert.equal(err.name, 'ApprovalWaitCancelledError');
      assert.match(err.message, /the job was cancelled.*stays open in Azure Boards/);
      return true;
    });
  });

  it('names the environment by host when given a URL, and refuses an empty solution name before creating anything', async () => {
    assert.equal(approvalTitle({ solutionName: 'Contoso', solutionVersion: '2.0.0.0', targetEnvironment: 'https://contoso-prod.crm.dynamics.com/' }),
      'Approve Contoso 2.0.0.0 for contoso-prod.crm.dynamics.com');
    await assert.rejects(waitForApproval(options({ solutionName: ' ' }), { devops }, createRecordingReporter()), /Input 'solutionName' is empty/);
    const { body } = await control(emu, 'GET', 'devops/workitems');
    assert.deepEqual(Array.isArray(body) ? body : (body as { value?: unknown[] }).value ?? [], []);
  });
});
