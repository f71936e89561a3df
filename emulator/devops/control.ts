/**
 * Control calls under `/_emulator/devops/` that stand in for a person in Azure Boards (emulator/README.md):
 * `GET workitems`, `GET workitems/{id}`, `POST workitems/{id}` `{ state?, comment?, changedBy? }`.
 */
import type { ServerResponse } from 'node:http';
import type { EmulatorContext } from '../core/context';
import { sendPlainJson } from '../core/http';
import { recordComment } from './api';
import { DevOpsApiError, sendDevOpsError } from './errors';
import { validateFields } from './fields';
import { updatesJson, workItemJson } from './json';
import { findType } from './processes';
import { applyRevision, DEFAULT_APPROVER, devopsState, identityFromText, type StoredWorkItem } from './state';

export interface DevOpsControlRequest {
  method: string;
  /** Path below /_emulator/devops/, decoded, e.g. `workitems/3`. */
  path: string;
  body: unknown;
  res: ServerResponse;
}

/** Handles the call and returns true, or returns false when it is not a DevOps control call. */
export function handleDevOpsControl(ctx: EmulatorContext, request: DevOpsControlRequest): boolean {
  const { method, path, res } = request;
  const collectionUrl = `${ctx.baseUrl}/devops`;
  const state = devopsState(ctx);
  if (path === 'workitems' && method === 'GET') {
    sendPlainJson(res, 200, [...state.workItems.values()].map((item) => summary(collectionUrl, item)));
    return true;
  }
  const id = /^workitems\/(\d+)$/.exec(path)?.[1];
  if (id === undefined || (method !== 'GET' && method !== 'POST')) return false;
  const item = state.workItems.get(Number(id));
  if (!item) {
    sendPlainJson(res, 404, { error: `No work item ${id} in this emulator.` });
    return true;
  }
  if (method === 'GET') {
    sendPlainJson(res, 200, summary(collectionUrl, item));
    return true;
  }
  try {
    actAsPerson(ctx, item, request.body);
  } catch (error) {
    if (error instanceof DevOpsApiError) {
      sendDevOpsError(res, error);
      return true;
    }
    throw error;
  }
  sendPlainJson(res, 200, summary(collectionUrl, item));
  return true;
}

function actAsPerson(ctx: EmulatorContext, item: StoredWorkItem, body: unknown): void {
  const { state, comment, changedBy, ...unknown } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0) throw new DevOpsApiError(400, `Unknown key(s) ${extra.join(', ')}; known: state, comment, changedBy.`, 'ArgumentException');
  if (state === undefined && comment === undefined) throw new DevOpsApiError(400, 'Give a state, a comment, or both.', 'ArgumentException');
  if (changedBy !== undefined && (typeof changedBy !== 'string' || changedBy.trim() === '')) {
    throw new DevOpsApiError(400, 'changedBy must be a name, an e-mail, or "Name <e-mail>".', 'ArgumentException');
  }
  if (comment !== undefined && (typeof comment !== 'string' || comment.trim() === '')) {
    throw new DevOpsApiError(400, 'comment must be a non-empty string.', 'ArgumentException');
  }
  const person = identityFromText(typeof changedBy === 'string' ? changedBy : DEFAULT_APPROVER);
  const type = findType(item.project.process, String(item.fields['System.WorkItemType']));
  // Validate everything before changing anything.
  const fields = state === undefined || !type ? {} : validateFields({ 'System.State': state }, type, item.project, false);
  if (state !== undefined) applyRevision(devopsState(ctx), item, fields, person);
  if (typeof comment === 'string') recordComment(ctx, item, comment, person);
}

function summary(collectionUrl: string, item: StoredWorkItem): Record<string, unknown> {
  return {
    ...workItemJson(collectionUrl, item, { relations: true }),
    comments: item.comments.map((c) => ({ id: c.id, text: c.text, by: c.by.displayName, date: c.date })),
    updates: updatesJson(collectionUrl, item).value,
  };
}
