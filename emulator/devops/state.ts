/**
 * Work items of one emulator instance, kept beside the core's context (a WeakMap keyed by it) so each
 * emulator has its own and a reset forgets them. Every change is a revision (who, when, field old/new values),
 * as Azure Boards records it.
 */
import { createHash } from 'node:crypto';
import type { EmulatorContext } from '../core/context';
import type { ResolvedDevOpsProject } from './seed';

export interface IdentityValue {
  displayName: string;
  uniqueName: string;
  id: string;
}

export interface Relation {
  rel: string;
  url: string;
  attributes: Record<string, unknown>;
}

export interface FieldChange {
  oldValue?: unknown;
  newValue?: unknown;
}

export interface Revision {
  rev: number;
  by: IdentityValue;
  date: string;
  fields: Record<string, FieldChange>;
  relationsAdded: Relation[];
}

export interface StoredComment {
  id: number;
  text: string;
  by: IdentityValue;
  date: string;
}

export interface StoredWorkItem {
  id: number;
  project: ResolvedDevOpsProject;
  rev: number;
  /** Current field values (identity fields as IdentityValue). */
  fields: Record<string, unknown>;
  relations: Relation[];
  revisions: Revision[];
  comments: StoredComment[];
}

export interface DevOpsState {
  nextId: number;
  nextCommentId: number;
  workItems: Map<number, StoredWorkItem>;
  /** The last timestamp handed out: revisions of one item never share a time, even within a millisecond. */
  lastTime: number;
}

const states = new WeakMap<EmulatorContext, DevOpsState>();

export function devopsState(ctx: EmulatorContext): DevOpsState {
  let state = states.get(ctx);
  if (!state) {
    state = { nextId: 1, nextCommentId: 1, workItems: new Map(), lastTime: 0 };
    states.set(ctx, state);
  }
  return state;
}

/** Forgets every work item (control API reset). */
export function resetDevOps(ctx: EmulatorContext): void {
  states.delete(ctx);
}

export function nextTimestamp(state: DevOpsState): string {
  state.lastTime = Math.max(Date.now(), state.lastTime + 1);
  return new Date(state.lastTime).toISOString();
}

/** The identity behind the job access token. */
export function buildServiceIdentity(): IdentityValue {
  return { displayName: 'Project Collection Build Service (emulator)', uniqueName: 'Build\\55555555-0000-4000-8000-000000000001', id: '55555555-0000-4000-8000-000000000001' };
}

export const DEFAULT_APPROVER = 'Release Approver <approver@contoso.com>';

/** "Display Name <unique@name>" or a bare name/e-mail, with a stable id derived from it. */
export function identityFromText(text: string): IdentityValue {
  const match = /^(.*?)\s*<([^>]+)>\s*$/.exec(text.trim());
  const displayName = (match ? match[1] || match[2] : text).trim();
  const uniqueName = (match ? match[2] : text).trim();
  const hex = createHash('sha256').update(uniqueName.toLowerCase()).digest('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return { displayName, uniqueName, id };
}

export function isIdentityValue(value: unknown): value is IdentityValue {
  return typeof value === 'object' && value !== null && typeof (value as IdentityValue).displayName === 'string' && typeof (value as IdentityValue).uniqueName === 'string';
}

/**
 * Applies already validated field values and added relations as one new revision by `by`. The fields that
 * always change (ChangedBy, ChangedDate, and the state's date and reason) are set here.
 */
export function applyRevision(state: DevOpsState, item: StoredWorkItem, changes: Record<string, unknown>, by: IdentityValue, relationsAdded: Relation[] = []): Revision {
  const date = nextTimestamp(state);
  const all: Record<string, unknown> = { ...changes, 'System.ChangedBy': by, 'System.ChangedDate': date };
  const stateChanged = changes['System.State'] !== undefined && changes['System.State'] !== item.fields['System.State'];
  if (stateChanged) {
    all['System.StateChangeDate'] = date;
    if (changes['System.Reason'] === undefined) all['System.Reason'] = item.rev === 0 ? 'New' : `Moved to state ${String(changes['System.State'])}`;
  }
  const fields: Record<string, FieldChange> = {};
  for (const [name, value] of Object.entries(all)) {
    const old = item.fields[name];
    if (value === undefined || value === null || value === '') {
      if (old === undefined) continue;
      delete item.fields[name];
      fields[name] = { oldValue: old };
      continue;
    }
    if (JSON.stringify(old) === JSON.stringify(value)) continue;
    item.fields[name] = value;
    fields[name] = old === undefined ? { newValue: value } : { oldValue: old, newValue: value };
  }
  item.rev++;
  item.relations.push(...relationsAdded);
  const revision: Revision = { rev: item.rev, by, date, fields, relationsAdded };
  item.revisions.push(revision);
  return revision;
}
