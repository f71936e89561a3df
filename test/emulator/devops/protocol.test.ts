/** The emulated Azure DevOps work item REST API at the HTTP level: discovery, auth, versions, validation, control calls. */
import * as assert from 'node:assert/strict';
import { startEmulator, type RunningEmulator } from '../../../emulator';

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function call(emu: RunningEmulator, method: string, path: string, options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? emu.info.devopsAccessToken : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${emu.url}/devops/${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) as Record<string, unknown> : { text } };
}

const PATCH = { 'Content-Type': 'application/json-patch+json' };

async function createTask(emu: RunningEmulator, project = 'DataverseALM', type = 'Task'): Promise<Reply> {
  return call(emu, 'POST', `${project}/_apis/wit/workitems/$${encodeURIComponent(type)}?api-version=7.1`, {
    headers: PATCH,
    body: [{ op: 'add', path: '/fields/System.Title', value: 'Approve' }],
  });
}

async function person(emu: RunningEmulator, id: number, body: unknown): Promise<Reply> {
  const res = await fetch(`${emu.url}/_emulator/devops/workitems/${id}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

describe('emulator: Azure DevOps work item API', () => {
  let emu: RunningEmulator;

  before(async () => {
    emu = await startEmulator({
      port: 0,
      quiet: true,
      seed: { devops: { projects: [{ name: 'DataverseALM', process: 'Agile' }, { name: 'Boards Basic', process: 'Basic' }] } },
    });
  });
  beforeEach(() => fetch(`${emu.url}/_emulator/reset`, { method: 'POST' }));
  after(() => emu.stop());

  it('lists the seeded projects in the info', () => {
    assert.deepEqual(emu.info.devopsProjects, ['DataverseALM', 'Boards Basic']);
  });

  it('answers resource discovery (Location, ResourceAreas, wit locations) and requires the job token for it', async () => {
    const locations = await call(emu, 'OPTIONS', '_apis/wit');
    assert.equal(locations.status, 200);
    const ids = (locations.body.value as { id: string; routeTemplate: string }[]).map((l) => l.id);
    assert.ok(ids.includes('72c7ddf8-2cdc-4f60-90cd-ab71c14a399b') && ids.includes('608aac0a-32e1-4493-a863-b9cf4566d257'));
    const areas = await call(emu, 'GET', '_apis/ResourceAreas');
    assert.deepEqual((areas.body.value as { name: string; locationUrl: string }[]).find((a) => a.name === 'wit')?.locationUrl, `${emu.url}/devops/`);
    assert.equal((await call(emu, 'OPTIONS', '_apis/Location')).status, 200);
    const anonymous = await call(emu, 'OPTIONS', '_apis/wit', { token: null });
    assert.equal(anonymous.status, 401);
    assert.match(String(anonymous.body.text), /TF400813/);
    assert.equal((await call(emu, 'GET', 'DataverseALM/_apis/wit/workitemtypes', { token: 'wrong' })).status, 401);
  });

  it('creates work items in the type\'s first state and validates the request like the service', async () => {
    const created = await createTask(emu, 'Boards Basic');
    assert.equal(created.status, 200);
    assert.equal((created.body.fields as Record<string, unknown>)['System.State'], 'To Do');

    const noVersion = await call(emu, 'POST', 'DataverseALM/_apis/wit/workitems/$Task', { headers: PATCH, body: [] });
    assert.equal(noVersion.status, 400);
    assert.equal(noVersion.body.typeKey, 'VssVersionNotSpecifiedException');
    const wrongType = await call(emu, 'POST', 'DataverseALM/_apis/wit/workitems/$Task?api-version=7.1', {
      headers: { 'Content-Type': 'application/json' }, body: [{ op: 'add', path: '/fields/System.Title', value: 'x' }],
    });
    assert.equal(wrongType.status, 415);
    const noTitle = await call(emu, 'POST', 'DataverseALM/_apis/wit/workitems/$Task?api-version=7.1', { headers: PATCH, body: [] });
    assert.equal(noTitle.status, 400);
    assert.match(String(noTitle.body.message), /TF401320: Rule Error for field Title/);
    const readOnly = await call(emu, 'POST', 'DataverseALM/_apis/wit/workitems/$Task?api-version=7.1', {
      headers: PATCH, body: [{ op: 'add', path: '/fields/System.Title', value: 'x' }, { op: 'add', path: '/fields/System.CreatedBy', value: 'me' }],
    });
    assert.equal(readOnly.status, 400);
    const unknownProject = await createTask(emu, 'Nowhere');
    assert.equal(unknownProject.status, 404);
    assert.match(String(unknownProject.body.message), /TF200016/);
    const unknownType = await createTask(emu, 'Boards Basic', 'User Story');
    assert.equal(unknownType.status, 404);
    assert.match(String(unknownType.body.message), /VS402323/);
  });

  it('validates state changes against the type\'s states (any transition between them), recording each revision', async () => {
    const id = (await createTask(emu)).body.id as number;
    const patch = (state: string): Promise<Reply> => call(emu, 'PATCH', `DataverseALM/_apis/wit/workitems/${id}?api-version=7.1`, {
      headers: PATCH, body: [{ op: 'add', path: '/fields/System.State', value: state }],
    });
    const bad = await patch('Done');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.typeKey, 'RuleValidationException');
    assert.match(String(bad.body.message), /TF401320: Rule Error for field State/);
    assert.match(String((bad.body.customProperties as Record<string, unknown>).ErrorMessage), /'Done'.*New, Active, Closed, Removed/);
    assert.equal((await patch('closed')).status, 200);
    const reopened = await patch('Active');
    assert.equal((reopened.body.fields as Record<string, unknown>)['System.State'], 'Active');

    const updates = await call(emu, 'GET', `DataverseALM/_apis/wit/workItems/${id}/updates?api-version=7.1`);
    const states = (updates.body.value as { fields: Record<string, { newValue?: unknown }> }[]).map((u) => u.fields['System.State']?.newValue);
    assert.deepEqual(states, ['New', 'Closed', 'Active']);
    const stale = await call(emu, 'PATCH', `DataverseALM/_apis/wit/workitems/${id}?api-version=7.1`, {
      headers: PATCH, body: [{ op: 'test', path: '/rev', value: 1 }, { op: 'add', path: '/fields/System.State', value: 'Closed' }],
    });
    assert.equal(stale.status, 412);
  });

  it('serves comments only with a preview api-version, newest first', async () => {
    const id = (await createTask(emu)).body.id as number;
    const released = await call(emu, 'POST', `DataverseALM/_apis/wit/workItems/${id}/comments?api-version=7.1`, { body: { text: 'x' } });
    assert.equal(released.status, 400);
    assert.equal(released.body.typeKey, 'VssInvalidPreviewVersionException');
    for (const text of ['first', 'second']) {
      assert.equal((await call(emu, 'POST', `DataverseALM/_apis/wit/workItems/${id}/comments?api-version=7.1-preview.4`, { body: { text } })).status, 200);
    }
    const list = await call(emu, 'GET', `DataverseALM/_apis/wit/workItems/${id}/comments?api-version=7.1-preview.4`);
    assert.deepEqual((list.body.comments as { text: string }[]).map((c) => c.text), ['second', 'first']);
    assert.equal(list.body.totalCount, 2);
    const item = await call(emu, 'GET', `DataverseALM/_apis/wit/workItems/${id}`);
    assert.equal((item.body.fields as Record<string, unknown>)['System.CommentCount'], 2);
  });

  it('lets a simulated person change state and comment, validating like the service', async () => {
    const id = (await createTask(emu, 'Boards Basic')).body.id as number;
    const done = await person(emu, id, { state: 'done', comment: 'Approved', changedBy: 'Ada Lovelace <ada@contoso.com>' });
    assert.equal(done.status, 200);
    const fields = done.body.fields as Record<string, { uniqueName?: string } | string>;
    assert.equal(fields['System.State'], 'Done');
    assert.equal((fields['System.ChangedBy'] as { uniqueName: string }).uniqueName, 'ada@contoso.com');
    assert.deepEqual((done.body.comments as { text: string; by: string }[]).map((c) => [c.text, c.by]), [['Approved', 'Ada Lovelace']]);

    const unknownState = await person(emu, id, { state: 'Approved' });
    assert.equal(unknownState.status, 400);
    assert.match(String(unknownState.body.message), /TF401320/);
    assert.equal((await person(emu, id, {})).status, 400);
    assert.equal((await person(emu, id, { state: 'Doing', who: 'x' })).status, 400);
    assert.equal((await person(emu, 999, { state: 'Done' })).status, 404);

    const defaultPerson = await person(emu, id, { state: 'Doing' });
    assert.equal(((defaultPerson.body.fields as Record<string, { displayName?: string }>)['System.ChangedBy']).displayName, 'Release Approver');
  });

  it('forgets work items on reset', async () => {
    const id = (await createTask(emu)).body.id as number;
    await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' });
    assert.equal((await call(emu, 'GET', `DataverseALM/_apis/wit/workItems/${id}`)).status, 404);
    assert.equal((await createTask(emu)).body.id, 1);
  });

  it('refuses a malformed devops.projects seed with a message naming the key', async () => {
    await assert.rejects(startEmulator({ seed: { devops: { projects: [{ name: 'P', process: 'CMMI' as 'Agile' }] } } }), /devops\.projects\[0\]\.process must be one of Agile, Basic, Scrum/);
    await assert.rejects(startEmulator({ seed: { devops: { projects: [] } } }), /devops\.projects must be a non-empty array/);
    await assert.rejects(startEmulator({ seed: { devops: { projects: [{ name: 'P' }, { name: 'p' }] } } }), /'p' is used twice/);
  });

  it('leaves the oidctoken API where it was', async () => {
    const res = await fetch(`${emu.info.oidcRequestUri}?api-version=7.1&serviceConnectionId=${emu.info.serviceConnectionId}`, {
      method: 'POST', headers: { Authorization: `Bearer ${emu.info.devopsAccessToken}` },
    });
    assert.equal(res.status, 200);
    assert.ok(typeof ((await res.json()) as { oidcToken?: unknown }).oidcToken === 'string');
  });
});
