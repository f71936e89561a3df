/**
 * Azure DevOps work items over azure-devops-node-api (design.md §3): the library keeps its own HTTP stack, so
 * it gets the agent's proxy and CA settings through its request options, and every call runs under the
 * shared/http retry policy (withRetry).
 */
import { getBearerHandler, WebApi } from 'azure-devops-node-api';
import type { IRequestOptions } from 'azure-devops-node-api/interfaces/common/VsoBaseInterfaces';
import { CommentSortOrder, type WorkItem } from 'azure-devops-node-api/interfaces/WorkItemTrackingInterfaces';
import type { IWorkItemTrackingApi } from 'azure-devops-node-api/WorkItemTrackingApi';
import { assertSecureUrl } from '../auth/secure-url';
import { silentLogger, type Logger } from '../core';
import { systemClock, type Clock, type ProxySettings } from '../http';
import { DevOpsError, notFound, toDevOpsError, type FailureContext } from './errors';
import { withRetry } from './retry';
import { dateField, escapeHtml, htmlToText, personField, stringField } from './work-item-fields';
import type {
  ApprovalWorkItemRequest, CreatedWorkItem, DevOpsClientOptions, StateChange, WorkItemComment, WorkItemStatus,
} from './types';

const DEFAULT_TYPE = 'Task';
const DEFAULT_TIMEOUT_MS = 100_000;
/** Comments fetched to find the newest one (they come newest first; the newest is picked by date anyway). */
const COMMENT_PAGE = 20;

/** One JSON Patch operation as the work item API takes it (op as a string, which the service accepts). */
interface PatchOperation {
  op: 'add' | 'replace' | 'test';
  path: string;
  value: unknown;
}

export class DevOpsClient {
  private readonly webApi: WebApi;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private witApi?: Promise<IWorkItemTrackingApi>;

  constructor(private readonly options: DevOpsClientOptions) {
    assertSecureUrl(options.collectionUrl, 'Azure DevOps collection URL (System.TeamFoundationCollectionUri)');
    if (!options.accessToken) {
      throw new DevOpsError('No Azure DevOps access token was given.', 'Pass $(System.AccessToken) to the task.');
    }
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.webApi = new WebApi(
      options.collectionUrl,
      getBearerHandler(options.accessToken),
      requestOptions(options),
      { productName: 'dataverse-alm-azure-pipelines', productVersion: options.productVersion },
    );
  }

  get project(): string {
    return this.options.project;
  }

  async createApprovalWorkItem(request: ApprovalWorkItemRequest, signal?: AbortSignal): Promise<CreatedWorkItem> {
    const type = request.type?.trim() || DEFAULT_TYPE;
    const context = this.context(`creating the approval work item (type '${type}')`, 'edit', request.areaPath);
    const document = approvalPatch(request);
    const created = await this.call(context, false, signal, (wit) => wit.createWorkItem({}, document, this.project, type));
    if (!created) throw await this.diagnoseMissingType(type, signal);
    const status = statusOf(created);
    this.logger.debug(`Azure DevOps: created ${status.type} ${status.id} in project '${this.project}'`);
    return { ...status, areaPath: stringField(created.fields, 'System.AreaPath') ?? request.areaPath ?? this.project };
  }

  async getWorkItemStatus(id: number, signal?: AbortSignal): Promise<WorkItemStatus> {
    const context = this.context(`reading work item ${id}`, 'view');
    const item = await this.call(context, true, signal, (wit) => wit.getWorkItem(id, undefined, undefined, undefined, this.project));
    if (!item) throw this.missingWorkItem(id);
    return statusOf(item);
  }

  /** The newest comment, or undefined when there is none. */
  async getLatestComment(id: number, signal?: AbortSignal): Promise<WorkItemComment | undefined> {
    const context = this.context(`reading the comments of work item ${id}`, 'view');
    const page = await this.call(context, true, signal,
      (wit) => wit.getComments(this.project, id, COMMENT_PAGE, undefined, undefined, undefined, CommentSortOrder.Desc));
    if (!page) throw this.missingWorkItem(id);
    let latest: WorkItemComment | undefined;
    for (const comment of page.comments ?? []) {
      if (comment.id === undefined) continue;
      const candidate: WorkItemComment = {
        id: comment.id,
        text: htmlToText(comment.text ?? ''),
        by: personField(comment.createdBy),
        date: dateField(comment.createdDate),
      };
      if (!latest || isNewer(candidate, latest)) latest = candidate;
    }
    return latest;
  }

  async addComment(id: number, text: string, signal?: AbortSignal): Promise<WorkItemComment> {
    const context = this.context(`adding a comment to work item ${id}`, 'edit');
    const comment = await this.call(context, false, signal, (wit) => wit.addComment({ text: escapeHtml(text) }, this.project, id));
    if (!comment || comment.id === undefined) throw this.missingWorkItem(id);
    return { id: comment.id, text: htmlToText(comment.text ?? ''), by: personField(comment.createdBy), date: dateField(comment.createdDate) };
  }

  /**
   * The newest revision that set System.State to one of `states` (case-insensitive): who made it and when.
   * Undefined when the history does not show one.
   */
  async findStateChange(id: number, states: string[], signal?: AbortSignal): Promise<StateChange | undefined> {
    const wanted = new Set(states.map((s) => s.toLowerCase()));
    const context = this.context(`reading the history of work item ${id}`, 'view');
    const updates = await this.call(context, true, signal, (wit) => wit.getUpdates(id, undefined, undefined, this.project));
    if (!updates) throw this.missingWorkItem(id);
    for (let i = updates.length - 1; i >= 0; i--) {
      const update = updates[i];
      const state = update.fields?.['System.State']?.newValue as unknown;
      if (typeof state !== 'string' || !wanted.has(state.toLowerCase())) continue;
      return {
        state,
        by: personField(update.revisedBy) ?? personField(update.fields?.['System.ChangedBy']?.newValue),
        at: dateField(update.fields?.['System.ChangedDate']?.newValue),
      };
    }
    return undefined;
  }

  private async call<T>(context: FailureContext, idempotent: boolean, signal: AbortSignal | undefined, fn: (wit: IWorkItemTrackingApi) => Promise<T>): Promise<T> {
    try {
      return await withRetry(async () => fn(await this.workItemTracking()), {
        idempotent,
        description: context.operation,
        options: this.options.retry,
        clock: this.clock,
        random: this.options.random,
        logger: this.logger,
        signal,
      });
    } catch (err) {
      throw toDevOpsError(err, context);
    }
  }

  /** The work item tracking client; resolving it discovers the service's resource areas (retried with the call). */
  private workItemTracking(): Promise<IWorkItemTrackingApi> {
    if (!this.witApi) {
      const pending = this.webApi.getWorkItemTrackingApi();
      // A failed discovery is not kept: the next attempt starts it again.
      pending.catch(() => {
        if (this.witApi === pending) this.witApi = undefined;
      });
      this.witApi = pending;
    }
    return this.witApi;
  }

  /** typed-rest-client answers 404 with no result: tell a missing project from a missing work item type. */
  private async diagnoseMissingType(type: string, signal?: AbortSignal): Promise<DevOpsError> {
    const context = this.context('listing the work item types', 'view');
    const types = await this.call(context, true, signal, (wit) => wit.getWorkItemTypes(this.project));
    if (!types) {
      return notFound(`Azure DevOps project '${this.project}' was not found at ${this.options.collectionUrl}.`,
        'Check the project name (System.TeamProject) and that the job\'s access token may see that project.');
    }
    const names = types.map((t) => t.name).filter((n): n is string => Boolean(n));
    return notFound(`Work item type '${type}' does not exist in project '${this.project}'.`,
      `Use one of the project's work item types: ${names.join(', ') || '(none listed)'}.`);
  }

  private missingWorkItem(id: number): DevOpsError {
    return notFound(`Work item ${id} was not found in project '${this.project}'.`,
      'It was deleted or moved to another project, or the job\'s access token may not read it.');
  }

  private context(operation: string, permission: 'view' | 'edit', areaPath?: string): FailureContext {
    return { operation, permission, areaPath, collectionUrl: this.options.collectionUrl, project: this.project };
  }
}

export function createDevOpsClient(options: DevOpsClientOptions): DevOpsClient {
  return new DevOpsClient(options);
}

/** node-api request options: the agent proxy, extra CA, timeout; its own retries stay off (withRetry owns them). */
export function requestOptions(options: { proxy?: ProxySettings; caFile?: string; timeoutMs?: number }): IRequestOptions {
  return {
    socketTimeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    allowRetries: false,
    ...(options.proxy ? {
      proxy: {
        proxyUrl: options.proxy.url,
        ...(options.proxy.username ? { proxyUsername: options.proxy.username } : {}),
        ...(options.proxy.password ? { proxyPassword: options.proxy.password } : {}),
        ...(options.proxy.bypass?.length ? { proxyBypassHosts: options.proxy.bypass } : {}),
      },
    } : {}),
    ...(options.caFile ? { cert: { caFile: options.caFile } } : {}),
  };
}

export function approvalPatch(request: ApprovalWorkItemRequest): PatchOperation[] {
  if (!request.title?.trim()) throw new DevOpsError('The approval work item needs a title.', 'Give the task a non-empty title.');
  const patch: PatchOperation[] = [
    { op: 'add', path: '/fields/System.Title', value: request.title.trim().slice(0, 255) },
  ];
  const description = descriptionHtml(request);
  if (description) patch.push({ op: 'add', path: '/fields/System.Description', value: description });
  if (request.assignedTo?.trim()) patch.push({ op: 'add', path: '/fields/System.AssignedTo', value: request.assignedTo.trim() });
  if (request.areaPath?.trim()) patch.push({ op: 'add', path: '/fields/System.AreaPath', value: request.areaPath.trim() });
  const tags = (request.tags ?? []).map((t) => t.trim()).filter(Boolean);
  if (tags.length > 0) patch.push({ op: 'add', path: '/fields/System.Tags', value: tags.join('; ') });
  if (request.buildId !== undefined) {
    patch.push({
      op: 'add',
      path: '/relations/-',
      value: { rel: 'ArtifactLink', url: `vstfs:///Build/Build/${request.buildId}`, attributes: { name: 'Build' } },
    });
  }
  if (request.runUrl) {
    patch.push({ op: 'add', path: '/relations/-', value: { rel: 'Hyperlink', url: request.runUrl, attributes: { comment: 'Pipeline run' } } });
  }
  return patch;
}

function descriptionHtml(request: ApprovalWorkItemRequest): string | undefined {
  const parts: string[] = [];
  if (request.description?.trim()) {
    parts.push(...request.description.trim().split(/\r?\n/).map((line) => `<div>${escapeHtml(line)}</div>`));
  }
  const links = [...(request.runUrl ? [{ label: 'Pipeline run', url: request.runUrl }] : []), ...(request.links ?? [])];
  if (links.length > 0) {
    parts.push(`<ul>${links.map((l) => `<li><a href="${escapeHtml(l.url)}">${escapeHtml(l.label)}</a></li>`).join('')}</ul>`);
  }
  return parts.length > 0 ? parts.join('') : undefined;
}

function statusOf(item: WorkItem): WorkItemStatus {
  const fields = item.fields as Record<string, unknown> | undefined;
  const links = item._links as { html?: { href?: unknown } } | undefined;
  return {
    id: item.id ?? 0,
    rev: item.rev ?? 0,
    type: stringField(fields, 'System.WorkItemType') ?? '',
    title: stringField(fields, 'System.Title') ?? '',
    state: stringField(fields, 'System.State') ?? '',
    reason: stringField(fields, 'System.Reason'),
    changedBy: personField(fields?.['System.ChangedBy']),
    changedDate: dateField(fields?.['System.ChangedDate']),
    webUrl: typeof links?.html?.href === 'string' ? links.html.href : undefined,
  };
}

function isNewer(a: WorkItemComment, b: WorkItemComment): boolean {
  const at = a.date?.getTime() ?? 0;
  const bt = b.date?.getTime() ?? 0;
  return at !== bt ? at > bt : a.id > b.id;
}
