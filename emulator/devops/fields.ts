/**
 * Validation of work item field values sent in a JSON Patch document (create, update, and the control API's
 * simulated human), as the work item type rules of Azure Boards do it.
 */
import { canonicalState, type WorkItemTypeDefinition } from './processes';
import { DevOpsApiError, ruleError } from './errors';
import type { ResolvedDevOpsProject } from './seed';
import { identityFromText, type Relation } from './state';

const READ_ONLY_FIELDS = new Set([
  'system.id', 'system.rev', 'system.createdby', 'system.createddate', 'system.changedby', 'system.changeddate',
  'system.workitemtype', 'system.teamproject', 'system.statechangedate', 'system.commentcount', 'system.authorizeddate',
  'system.reviseddate', 'system.watermark',
]);
const IDENTITY_FIELDS = new Set(['system.assignedto']);

export interface PatchResult {
  fields: Record<string, unknown>;
  relations: Relation[];
  /** `test /rev` value, when the document has one. */
  expectedRev?: number;
}

const OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'];

/** Reads a JSON Patch document into field values and added relations; anything unsupported is a 400. */
export function readPatch(body: unknown): PatchResult {
  if (!Array.isArray(body)) {
    throw new DevOpsApiError(400, 'You must pass a valid patch document in the body of the request.', 'VssPropertyValidationException');
  }
  const result: PatchResult = { fields: {}, relations: [] };
  for (const [i, raw] of body.entries()) {
    const operation = raw as { op?: unknown; path?: unknown; value?: unknown };
    // The enum of azure-devops-node-api serializes as a number (Add = 0 … Test = 5).
    const op = typeof operation?.op === 'number' ? OPS[operation.op] : typeof operation?.op === 'string' ? operation.op.toLowerCase() : undefined;
    const path = typeof operation?.path === 'string' ? operation.path : undefined;
    if (!op || !OPS.includes(op) || !path) {
      throw new DevOpsApiError(400, `Operation ${i} of the patch document needs a valid op (add, remove, replace, test) and path.`, 'VssPropertyValidationException');
    }
    const field = /^\/fields\/(.+)$/i.exec(path)?.[1];
    if (field && (op === 'add' || op === 'replace')) {
      result.fields[field] = operation.value;
    } else if (field && op === 'remove') {
      result.fields[field] = null;
    } else if (/^\/relations\/-$/i.test(path) && op === 'add') {
      result.relations.push(readRelation(operation.value));
    } else if (/^\/rev$/i.test(path) && op === 'test') {
      result.expectedRev = Number(operation.value);
    } else {
      throw new DevOpsApiError(400, `The patch operation '${op} ${path}' is not supported.`, 'VssPropertyValidationException');
    }
  }
  return result;
}

function readRelation(value: unknown): Relation {
  const relation = value as { rel?: unknown; url?: unknown; attributes?: unknown } | undefined;
  if (typeof relation?.rel !== 'string' || typeof relation.url !== 'string') {
    throw new DevOpsApiError(400, 'A relation needs rel and url.', 'WorkItemLinkInvalidException');
  }
  if (relation.rel === 'ArtifactLink' && !/^vstfs:\/\/\/[^/]+\/[^/]+\/.+/i.test(relation.url)) {
    throw new DevOpsApiError(400, `TF237124: Work Item is not ready to save: the artifact link '${relation.url}' is not a vstfs:/// URI.`, 'WorkItemLinkInvalidException');
  }
  if (relation.rel === 'Hyperlink' && !/^https?:\/\//i.test(relation.url)) {
    throw new DevOpsApiError(400, `The hyperlink '${relation.url}' is not an absolute http(s) URL.`, 'WorkItemLinkInvalidException');
  }
  const attributes = typeof relation.attributes === 'object' && relation.attributes !== null ? relation.attributes as Record<string, unknown> : {};
  return { rel: relation.rel, url: relation.url, attributes };
}

/**
 * Checks and normalizes field values for a work item of `type` in `project` (state spelled as the type spells
 * it, identities as identity values). `creating` makes the title required.
 */
export function validateFields(fields: Record<string, unknown>, type: WorkItemTypeDefinition, project: ResolvedDevOpsProject, creating: boolean): Record<string, unknown> {
  const normalized: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    const key = name.toLowerCase();
    if (!/^[A-Za-z][\w]*(\.[\w]+)+$/.test(name)) throw new DevOpsApiError(400, `TF51535: Cannot find field ${name}.`, 'WorkItemFieldInvalidException');
    if (READ_ONLY_FIELDS.has(key)) throw ruleError(name, name, 'InvalidReadOnly', `The field '${name}' is read-only.`);
    const canonicalName = CANONICAL_NAMES[key] ?? name;
    normalized[canonicalName] = normalizeValue(canonicalName, value, type, project);
  }
  if (creating && !(typeof normalized['System.Title'] === 'string' && normalized['System.Title'].trim() !== '')) {
    throw ruleError('System.Title', 'Title', 'InvalidEmpty', "The field 'Title' cannot be empty.");
  }
  return normalized;
}

const CANONICAL_NAMES: Record<string, string> = {
  'system.title': 'System.Title', 'system.state': 'System.State', 'system.reason': 'System.Reason',
  'system.description': 'System.Description', 'system.assignedto': 'System.AssignedTo', 'system.areapath': 'System.AreaPath',
  'system.iterationpath': 'System.IterationPath', 'system.tags': 'System.Tags', 'system.history': 'System.History',
};

function normalizeValue(name: string, value: unknown, type: WorkItemTypeDefinition, project: ResolvedDevOpsProject): unknown {
  if (value === null || value === undefined) {
    if (name === 'System.Title') throw ruleError(name, 'Title', 'InvalidEmpty', "The field 'Title' cannot be empty.");
    if (name === 'System.State') throw ruleError(name, 'State', 'InvalidEmpty', "The field 'State' cannot be empty.");
    return null;
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw ruleError(name, name, 'InvalidType', `The value of field '${name}' must be a string, number or boolean.`);
  }
  switch (name) {
    case 'System.Title': {
      const title = String(value);
      if (title.trim() === '') throw ruleError(name, 'Title', 'InvalidEmpty', "The field 'Title' cannot be empty.");
      if (title.length > 255) throw ruleError(name, 'Title', 'InvalidTooLong', "The field 'Title' is longer than 255 characters.");
      return title;
    }
    case 'System.State': {
      const state = canonicalState(type, String(value));
      if (!state) {
        throw ruleError(name, 'State', 'InvalidListValue',
          `The field 'State' contains the value '${String(value)}' that is not in the list of supported values (${type.states.join(', ')}).`);
      }
      return state;
    }
    case 'System.AreaPath':
    case 'System.IterationPath': {
      const path = String(value).replace(/\//g, '\\').replace(/\\+$/, '');
      const root = project.name.toLowerCase();
      if (path.toLowerCase() !== root && !path.toLowerCase().startsWith(`${root}\\`)) {
        throw new DevOpsApiError(400, `TF401347: Invalid tree name given for work item -1, field '${name}'.`, 'WorkItemTreeNodeInvalidException');
      }
      return project.name + path.slice(project.name.length);
    }
    default:
      if (IDENTITY_FIELDS.has(name.toLowerCase()) && typeof value === 'string') return value.trim() === '' ? null : identityFromText(value);
      return value;
  }
}
