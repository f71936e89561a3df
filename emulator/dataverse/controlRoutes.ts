/**
 * The module's part of the control API (`/_emulator/dataverse/…`, see emulator/LIFECYCLE.md): simulate a
 * maker's edits in an unmanaged solution, read a solution's modelled state, add connections, change timeScale.
 */
import type { ServerResponse } from 'node:http';
import type { DataverseControlRequest } from '../core/contracts';
import type { DataverseEnvironment, SolutionEdit } from './environment';
import { ODataFailure, solutionNotFound } from './errors';

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function bad(message: string): ODataFailure {
  return new ODataFailure(400, '', message);
}

function componentList(value: unknown, key: string): SolutionEdit['addComponents'] {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((c) => typeof c !== 'object' || c === null || !['string', 'number'].includes(typeof (c as { type?: unknown }).type)
    || (typeof (c as { schemaName?: unknown }).schemaName !== 'string' && typeof (c as { id?: unknown }).id !== 'string'))) {
    throw bad(`"${key}" must be an array of { type: number|string, schemaName?: string, id?: string } (schemaName or id required).`);
  }
  return value as SolutionEdit['addComponents'];
}

function solutionState(env: DataverseEnvironment, uniqueName: string): unknown {
  const s = env.solution(uniqueName);
  if (!s) throw solutionNotFound(uniqueName);
  return {
    solutionid: s.solutionid, uniqueName: s.uniqueName, version: s.version, managed: s.managed, firstParty: s.firstParty,
    components: s.componentsKnown ? s.components : null, lastUpgradeDeleted: s.lastUpgradeDeleted,
  };
}

/** Answers a control call for `env` (path below `<env>/`); false when the route is unknown. */
export function handleControl(env: DataverseEnvironment, route: string, request: DataverseControlRequest): boolean {
  const method = request.method.toUpperCase();
  const body = (request.body ?? {}) as Record<string, unknown>;
  try {
    const solution = /^solutions\/([^/]+)$/.exec(route);
    if (solution && method === 'GET') {
      reply(request.res, 200, solutionState(env, solution[1]));
      return true;
    }
    if (solution && method === 'POST') {
      if (body.version !== undefined && typeof body.version !== 'string') throw bad('"version" must be a string such as "1.1.0.0".');
      const unknown = Object.keys(body).filter((k) => !['version', 'addComponents', 'removeComponents'].includes(k));
      if (unknown.length > 0) throw bad(`Unknown key(s) ${unknown.join(', ')}: use version, addComponents, removeComponents.`);
      env.editUnmanagedSolution(solution[1], {
        version: body.version as string | undefined,
        addComponents: componentList(body.addComponents, 'addComponents'),
        removeComponents: componentList(body.removeComponents, 'removeComponents'),
      });
      reply(request.res, 200, solutionState(env, solution[1]));
      return true;
    }
    if (route === 'connections' && method === 'POST') {
      const { id, connectorId, displayName, owner, sharedWith } = body;
      if (typeof id !== 'string' || typeof connectorId !== 'string') throw bad('A connection needs "id" and "connectorId" strings.');
      if (sharedWith !== undefined && (!Array.isArray(sharedWith) || sharedWith.some((x) => typeof x !== 'string'))) throw bad('"sharedWith" must be an array of strings.');
      const record = {
        connectionid: id, connectorid: connectorId, displayname: typeof displayName === 'string' ? displayName : id,
        owner: typeof owner === 'string' ? owner : '00000000-0000-0000-0000-00000000a11c', sharedWith: (sharedWith as string[] | undefined) ?? [],
      };
      env.connections.set(id.toLowerCase(), record);
      reply(request.res, 200, record);
      return true;
    }
    if (route === 'settings' && method === 'POST') {
      if (typeof body.timeScale !== 'number' || !(body.timeScale >= 0)) throw bad('"timeScale" must be a number >= 0.');
      env.config.timeScale = body.timeScale;
      reply(request.res, 200, { timeScale: env.config.timeScale });
      return true;
    }
    return false;
  } catch (err) {
    if (!(err instanceof ODataFailure)) throw err;
    reply(request.res, err.status, { error: err.message });
    return true;
  }
}
