/**
 * The Azure DevOps work item REST API under `{base}/devops` (the collection): resource discovery, work items
 * (create with `$Type`, get, update), their updates, comments and work item types. Every call needs
 * `Authorization: Bearer <devops access token>` (System.AccessToken); writes need an api-version.
 */
import { admitRequest, beforeAnswer, type RequestContext } from '../core/context';
import { BodyTooLargeError, headerValue, readBody, safeDecode, sendPlainJson } from '../core/http';
import { DevOpsApiError, sendDevOpsError } from './errors';
import { readPatch, validateFields } from './fields';
import { commentJson, updatesJson, workItemJson } from './json';
import { areaLocations, resourceAreas } from './locations';
import { findType, PROCESSES } from './processes';
import type { ResolvedDevOpsProject } from './seed';
import { applyRevision, buildServiceIdentity, devopsState, nextTimestamp, type IdentityValue, type StoredWorkItem } from './state';

export const DEVOPS_PREFIX = '/devops/';
const MAX_VERSION = 7.2;

export function isDevOpsPath(path: string): boolean {
  return path.startsWith(DEVOPS_PREFIX);
}

export function collectionUrlOf(rc: RequestContext): string {
  return `${rc.emulator.baseUrl}/devops`;
}

export async function handleDevOpsRequest(rc: RequestContext): Promise<void> {
  const { res } = rc;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(rc.req, 'authorization') ?? '')?.[1];
  if (bearer !== rc.emulator.seed.devops.accessToken) {
    if (!(await beforeAnswer(rc))) return;
    const body = 'TF400813: The user is not authorized to access this resource. Send the job access token (System.AccessToken) as a Bearer token.';
    res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer', 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
    return;
  }
  const refusal = admitRequest(rc, 'devops:job');
  try {
    if (refusal) throw new DevOpsApiError(429, refusal.message, 'RequestBlockedException');
    const answer = await route(rc);
    if (!(await beforeAnswer(rc))) return;
    sendPlainJson(res, answer.status, answer.body);
  } catch (error) {
    if (!(error instanceof DevOpsApiError) && !(error instanceof BodyTooLargeError)) throw error;
    if (!(await beforeAnswer(rc))) return;
    const apiError = error instanceof DevOpsApiError ? error : new DevOpsApiError(413, error.message, 'RequestContentTooLargeException');
    if (apiError.status === 429 && refusal) res.setHeader('Retry-After', String(refusal.retryAfterSeconds));
    sendDevOpsError(res, apiError);
  }
}

interface Answer {
  status: number;
  body: unknown;
}

async function route(rc: RequestContext): Promise<Answer> {
  const collectionUrl = collectionUrlOf(rc);
  const segments = rc.path.slice(DEVOPS_PREFIX.length).split('/').filter(Boolean).map(safeDecode);
  const lower = segments.map((s) => s.toLowerCase());
  const method = rc.method;

  // Collection-level discovery.
  if (lower[0] === '_apis' && lower.length === 2 && method === 'OPTIONS') {
    const locations = areaLocations(lower[1]);
    if (locations) return { status: 200, body: locations };
  }
  if (lower[0] === '_apis' && lower[1] === 'resourceareas' && lower.length === 2 && method === 'GET') {
    return { status: 200, body: resourceAreas(collectionUrl) };
  }

  // {project}/_apis/wit/… (the project segment is optional for reads by id, as on the real service).
  const projectSegment = lower[0] === '_apis' ? undefined : segments[0];
  const rest = projectSegment === undefined ? lower : lower.slice(1);
  const restOriginal = projectSegment === undefined ? segments : segments.slice(1);
  if (rest[0] !== '_apis' || rest[1] !== 'wit') throw notServed(rc);
  const project = projectSegment === undefined ? undefined : findProject(rc, projectSegment);
  const resource = rest.slice(2);
  const resourceOriginal = restOriginal.slice(2);

  if (resource[0] === 'workitems' && resource.length === 2 && resourceOriginal[1].startsWith('$')) {
    if (method !== 'POST') throw methodNotAllowed(method);
    return createWorkItem(rc, requireProject(project), resourceOriginal[1].slice(1));
  }
  if (resource[0] === 'workitems' && resource.length >= 2) {
    const item = findWorkItem(rc, resource[1], project);
    if (resource.length === 2) {
      if (method === 'GET') return { status: 200, body: workItemJson(collectionUrl, item, readOptions(rc)) };
      if (method === 'PATCH') return updateWorkItem(rc, item);
      throw methodNotAllowed(method);
    }
    if (resource[2] === 'updates' && resource.length === 3 && method === 'GET') {
      requireApiVersion(rc, false);
      return { status: 200, body: updatesJson(collectionUrl, item) };
    }
    if (resource[2] === 'comments' && resource.length === 3) {
      requireApiVersion(rc, true);
      if (method === 'GET') return { status: 200, body: commentsJson(rc, item) };
      if (method === 'POST') return addComment(rc, item);
      throw methodNotAllowed(method);
    }
  }
  if (resource[0] === 'workitemtypes' && resource.length <= 2 && method === 'GET') {
    const { process } = requireProject(project);
    if (resource.length === 1) {
      const value = PROCESSES[process].map((t) => typeJson(t.name, t.states));
      return { status: 200, body: { count: value.length, value } };
    }
    const type = findType(process, resourceOriginal[1]);
    if (!type) throw typeNotFound(resourceOriginal[1]);
    return { status: 200, body: typeJson(type.name, type.states) };
  }
  throw notServed(rc);
}

async function createWorkItem(rc: RequestContext, project: ResolvedDevOpsProject, typeName: string): Promise<Answer> {
  requireApiVersion(rc, false);
  const type = findType(project.process, typeName);
  if (!type) throw typeNotFound(typeName);
  const patch = readPatch(await readPatchBody(rc));
  const fields = validateFields(patch.fields, type, project, true);
  const state = devopsState(rc.emulator);
  const by = buildServiceIdentity();
  const created = nextTimestamp(state);
  const item: StoredWorkItem = {
    id: state.nextId++,
    project,
    rev: 0,
    fields: {
      'System.AreaPath': project.name,
      'System.TeamProject': project.name,
      'System.IterationPath': project.name,
      'System.WorkItemType': type.name,
      'System.CreatedDate': created,
      'System.CreatedBy': by,
      'System.CommentCount': 0,
    },
    relations: [],
    revisions: [],
    comments: [],
  };
  applyRevision(state, item, { 'System.State': type.states[0], ...fields }, by, patch.relations);
  state.workItems.set(item.id, item);
  return { status: 200, body: workItemJson(collectionUrlOf(rc), item, { relations: true }) };
}

async function updateWorkItem(rc: RequestContext, item: StoredWorkItem): Promise<Answer> {
  requireApiVersion(rc, false);
  const patch = readPatch(await readPatchBody(rc));
  if (patch.expectedRev !== undefined && patch.expectedRev !== item.rev) {
    throw new DevOpsApiError(412, `TF26071: This work item has been changed by someone else since you opened it (revision ${item.rev}, expected ${patch.expectedRev}).`, 'WorkItemRevisionMismatchException');
  }
  const type = findType(item.project.process, String(item.fields['System.WorkItemType']));
  if (!type) throw typeNotFound(String(item.fields['System.WorkItemType']));
  const fields = validateFields(patch.fields, type, item.project, false);
  applyRevision(devopsState(rc.emulator), item, fields, buildServiceIdentity(), patch.relations);
  return { status: 200, body: workItemJson(collectionUrlOf(rc), item, { relations: true }) };
}

async function addComment(rc: RequestContext, item: StoredWorkItem): Promise<Answer> {
  const body = await readJsonBody(rc);
  const text = (body as { text?: unknown } | undefined)?.text;
  if (typeof text !== 'string' || text.trim() === '') {
    throw new DevOpsApiError(400, 'The comment text cannot be empty.', 'ArgumentException');
  }
  const comment = recordComment(rc.emulator, item, text, buildServiceIdentity());
  return { status: 200, body: commentJson(collectionUrlOf(rc), item, comment) };
}

/** Adds a comment as one revision (System.History and System.CommentCount change, as on the real service). */
export function recordComment(ctx: RequestContext['emulator'], item: StoredWorkItem, text: string, by: IdentityValue): StoredWorkItem['comments'][number] {
  const state = devopsState(ctx);
  const revision = applyRevision(state, item, { 'System.History': text, 'System.CommentCount': item.comments.length + 1 }, by);
  const comment = { id: state.nextCommentId++, text, by, date: revision.date };
  item.comments.push(comment);
  return comment;
}

function commentsJson(rc: RequestContext, item: StoredWorkItem): Record<string, unknown> {
  const order = (rc.url.searchParams.get('order') ?? 'desc').toLowerCase();
  const ascending = order === 'asc' || order === '1';
  const sorted = [...item.comments].sort((a, b) => (ascending ? a.id - b.id : b.id - a.id));
  const top = Number(rc.url.searchParams.get('$top') ?? '200');
  const page = sorted.slice(0, Number.isInteger(top) && top > 0 ? Math.min(top, 200) : 200);
  return {
    totalCount: item.comments.length,
    count: page.length,
    comments: page.map((c) => commentJson(collectionUrlOf(rc), item, c)),
  };
}

function readOptions(rc: RequestContext): { relations: boolean; fields?: string[] } {
  const expand = (rc.url.searchParams.get('$expand') ?? '').toLowerCase();
  const fields = rc.url.searchParams.get('fields');
  if (fields && (expand === 'all' || expand === 'relations' || expand === '4' || expand === '1')) {
    throw new DevOpsApiError(400, "The expand parameter can not be used with the fields parameter.", 'ConflictingParametersException');
  }
  return {
    relations: ['all', 'relations', '1', '4'].includes(expand),
    ...(fields ? { fields: fields.split(',').map((f) => f.trim()).filter(Boolean) } : {}),
  };
}

function typeJson(name: string, states: string[]): Record<string, unknown> {
  return { name, referenceName: `Microsoft.VSTS.WorkItemTypes.${name.replace(/\s+/g, '')}`, isDisabled: false, states: states.map((s) => ({ name: s })) };
}

/** api-version from the query or the Accept header (`application/json;api-version=7.1-preview.3`). */
function requireApiVersion(rc: RequestContext, preview: boolean): void {
  const version = rc.url.searchParams.get('api-version') ?? /api-version=([^;,\s]+)/i.exec(headerValue(rc.req, 'accept') ?? '')?.[1];
  if (!version) {
    if (rc.method === 'GET' && !preview) return;
    throw new DevOpsApiError(400, `No api-version was supplied for the ${rc.method} request. An api-version, such as 7.1, must be specified.`, 'VssVersionNotSpecifiedException');
  }
  const match = /^(\d+(?:\.\d+)?)(-preview(?:\.\d+)?)?$/i.exec(version);
  if (!match) throw new DevOpsApiError(400, `The api-version '${version}' is not valid.`, 'VssInvalidApiVersionException');
  if (Number(match[1]) > MAX_VERSION) {
    throw new DevOpsApiError(400, `The requested REST API version of ${version} is out of range for this server. The latest REST API version for this server is ${MAX_VERSION}.`, 'VssVersionOutOfRangeException');
  }
  if (preview && !match[2]) {
    throw new DevOpsApiError(400, `The requested version "${version}" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: "${match[1]}-preview"`, 'VssInvalidPreviewVersionException');
  }
}

async function readPatchBody(rc: RequestContext): Promise<unknown> {
  const contentType = (headerValue(rc.req, 'content-type') ?? '').toLowerCase();
  if (!contentType.startsWith('application/json-patch+json')) {
    throw new DevOpsApiError(415, `The request indicated a Content-Type of "${contentType || '(none)'}" for method type "${rc.method}" which is not supported. Valid content types for this method are: application/json-patch+json.`, 'VssRequestContentTypeNotSupportedException');
  }
  return readJsonBody(rc);
}

async function readJsonBody(rc: RequestContext): Promise<unknown> {
  const text = await readBody(rc.req);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DevOpsApiError(400, 'The request body is not valid JSON.', 'VssPropertyValidationException');
  }
}

function findProject(rc: RequestContext, nameOrId: string): ResolvedDevOpsProject {
  const wanted = nameOrId.toLowerCase();
  const project = rc.emulator.seed.devops.projects.find((p) => p.name.toLowerCase() === wanted || p.id === wanted);
  if (!project) {
    throw new DevOpsApiError(404, `TF200016: The following project does not exist: ${nameOrId}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`, 'ProjectDoesNotExistWithNameException');
  }
  return project;
}

function requireProject(project: ResolvedDevOpsProject | undefined): ResolvedDevOpsProject {
  if (!project) throw new DevOpsApiError(400, 'This resource needs a project in the URL: {collection}/{project}/_apis/wit/….', 'ArgumentException');
  return project;
}

function findWorkItem(rc: RequestContext, idText: string, project: ResolvedDevOpsProject | undefined): StoredWorkItem {
  const id = /^\d+$/.test(idText) ? Number(idText) : NaN;
  if (!Number.isSafeInteger(id)) throw new DevOpsApiError(400, `The work item id '${idText}' is not valid.`, 'ArgumentException');
  const item = devopsState(rc.emulator).workItems.get(id);
  if (!item || (project && item.project.id !== project.id)) {
    throw new DevOpsApiError(404, `TF401232: Work item ${id} does not exist, or you do not have permissions to read it.`, 'WorkItemUnauthorizedAccessException');
  }
  return item;
}

function typeNotFound(name: string): DevOpsApiError {
  return new DevOpsApiError(404, `VS402323: Work item type ${name} does not exist.`, 'WorkItemTypeNotFoundException');
}

function methodNotAllowed(method: string): DevOpsApiError {
  return new DevOpsApiError(405, `The requested resource does not support http method '${method}'.`, 'MethodNotAllowedException');
}

function notServed(rc: RequestContext): DevOpsApiError {
  return new DevOpsApiError(404, `The emulator serves no Azure DevOps resource at ${rc.method} ${rc.path} (work items: {base}/devops/{project}/_apis/wit/…; see emulator/README.md).`, 'ResourceNotFoundException');
}
