import { UserError } from '../core';
import type { NodeApiError } from './retry';

/** What a failed Azure DevOps call was doing, for the message and the hint. */
export interface FailureContext {
  /** e.g. "creating the approval work item", "reading work item 12". */
  operation: string;
  collectionUrl: string;
  project: string;
  /** The area path the work item is in, when known (permission hints name it). */
  areaPath?: string;
  /** The area permission the call needs. */
  permission: 'view' | 'edit';
}

/** A failed Azure DevOps call: what failed, the server's answer, and what to do. */
export class DevOpsError extends UserError {
  constructor(message: string, hint: string | undefined, readonly status?: number) {
    super(message, hint);
    this.name = 'DevOpsError';
  }
}

/** A node-api failure as a DevOpsError; anything else (a bug) is returned unchanged. */
export function toDevOpsError(err: unknown, context: FailureContext): Error {
  if (err instanceof DevOpsError || !(err instanceof Error)) return err as Error;
  const failure = err as NodeApiError;
  if (typeof failure.statusCode === 'number') {
    const server = serverMessage(failure)?.replace(/[.\s]+$/, '');
    const message = `Azure DevOps refused ${context.operation} in project '${context.project}': HTTP ${failure.statusCode}${server ? ` — ${server}` : ''}.`;
    return new DevOpsError(message, hintFor(failure.statusCode, context), failure.statusCode);
  }
  if (/^Request timeout/.test(failure.message)) {
    return new DevOpsError(`Azure DevOps did not answer in time while ${context.operation}.`,
      'Azure DevOps may be slow or unreachable from the agent; run the job again, and check the agent\'s proxy settings.');
  }
  if (typeof failure.code === 'string') {
    return new DevOpsError(`Could not reach Azure DevOps at ${origin(context.collectionUrl)} while ${context.operation} (${failure.code}).`,
      'Check the agent\'s network and proxy settings (the task uses the agent\'s proxy configuration).');
  }
  return err;
}

/** typed-rest-client answers 404 with an empty result instead of an error; callers turn that into this. */
export function notFound(message: string, hint: string): DevOpsError {
  return new DevOpsError(message, hint, 404);
}

export function buildServiceIdentities(collectionUrl: string, project: string): string {
  const org = organizationName(collectionUrl);
  return `'Project Collection Build Service (${org})' (or '${project} Build Service (${org})' when the job authorization scope is limited to the current project)`;
}

function hintFor(status: number, context: FailureContext): string | undefined {
  const area = context.areaPath ?? context.project;
  switch (status) {
    case 401:
      return 'The job\'s access token (System.AccessToken) was not accepted: pass $(System.AccessToken) to the task ' +
        '(YAML: it is available to tasks by default; classic: enable "Allow scripts to access the OAuth token"), and do not use an expired or revoked token.';
    case 403:
      return context.permission === 'edit'
        ? `The job's access token cannot create or edit work items: allow ${buildServiceIdentities(context.collectionUrl, context.project)} ` +
          `"Edit work items in this node" and "View work items in this node" in area '${area}' (Project settings → Boards → Project configuration → Areas → Security).`
        : `The job's access token cannot read work items: allow ${buildServiceIdentities(context.collectionUrl, context.project)} ` +
          `"View work items in this node" in area '${area}' (Project settings → Boards → Project configuration → Areas → Security).`;
    case 400:
      return 'Azure DevOps rejected the work item\'s fields: check the work item type, area path, assignee and states given to the task.';
    case 429:
      return 'Azure DevOps is throttling this pipeline\'s requests; increase the poll interval or run the job later.';
    default:
      return status >= 500 ? 'Azure DevOps had a problem; run the job again later.' : undefined;
  }
}

function serverMessage(failure: NodeApiError): string | undefined {
  const body = failure.result;
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  // typed-rest-client puts a text body (or "Failed request: (status)") in the message.
  return failure.message && !/^Failed request/.test(failure.message) ? failure.message.slice(0, 500) : undefined;
}

/** dev.azure.com/{org}, {org}.visualstudio.com, or the last path segment of a server collection URL. */
export function organizationName(collectionUrl: string): string {
  const url = new URL(collectionUrl);
  const segments = url.pathname.split('/').filter(Boolean);
  if (url.hostname.toLowerCase() === 'dev.azure.com' && segments[0]) return decodeURIComponent(segments[0]);
  const visualStudio = /^([^.]+)\.visualstudio\.com$/i.exec(url.hostname);
  if (visualStudio) return visualStudio[1];
  return segments.length > 0 ? decodeURIComponent(segments[segments.length - 1]) : url.hostname;
}

function origin(collectionUrl: string): string {
  try {
    const url = new URL(collectionUrl);
    return `${url.protocol}//${url.host}`;
  } catch {
    return collectionUrl;
  }
}
