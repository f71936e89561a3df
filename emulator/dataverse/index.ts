/**
 * The Dataverse solution-lifecycle module of the emulator (emulator/LIFECYCLE.md): per-environment solution
 * state, imports/upgrades/exports as timed jobs behind the solution-operation lock, and the tables that
 * report on them. The emulator core authenticates and throttles; this module answers what is left.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataverseControlRequest, DataverseModule, DataverseRequest, EnvironmentDescriptor } from '../core/contracts';
import { handleControl } from './controlRoutes';
import { DataverseEnvironment, type SolutionEdit } from './environment';
import type { ComponentRef } from './model';
import { readEnvironmentSeed } from './environmentSeed';
import { ODataFailure } from './errors';
import { route } from './handlers';
import { sendFailure } from './responses';

export interface DataverseLifecycleModule extends DataverseModule {
  /** The live state of an environment (tests and the control API read it in-process). */
  environment(name: string): DataverseEnvironment | undefined;
  /**
   * A maker's work on an unmanaged solution (for the control API): add/remove components, set the version.
   * Throws ODataFailure (404 unknown environment or solution, 400 managed solution or bad version).
   */
  editSolution(environment: string, uniqueName: string, edit: SolutionEdit): { uniqueName: string; version: string; components: ComponentRef[] };
}

export type { SolutionEdit };
export { ODataFailure };

export interface DataverseModuleOptions {
  /** Parent folder for solution files; default: a fresh folder under the OS temp dir. */
  tempDir?: string;
}

export function createDataverseModule(options: DataverseModuleOptions = {}): DataverseLifecycleModule {
  const root = fs.mkdtempSync(path.join(options.tempDir ?? os.tmpdir(), 'dataverse-emulator-'));
  const environments = new Map<string, DataverseEnvironment>();
  let generation = 0;

  const closeAll = () => {
    for (const env of environments.values()) env.close();
    environments.clear();
  };

  return {
    async createEnvironment(descriptor: EnvironmentDescriptor) {
      environments.get(descriptor.name.toLowerCase())?.close();
      environments.delete(descriptor.name.toLowerCase());
      const config = readEnvironmentSeed(descriptor.name, descriptor.seed);
      const env = new DataverseEnvironment(descriptor, config, path.join(root, `${descriptor.name}-${++generation}`));
      await env.initialise();
      environments.set(descriptor.name.toLowerCase(), env);
    },

    async handle(request: DataverseRequest): Promise<boolean> {
      const env = environments.get(request.env.name.toLowerCase());
      if (!env) return false;
      try {
        return await route(env, request);
      } catch (err) {
        if (request.res.headersSent) {
          request.res.destroy(err as Error);
          return true;
        }
        if (err instanceof ODataFailure) {
          request.req.resume();
          sendFailure(request.res, err);
          return true;
        }
        throw err;
      }
    },

    async control(request: DataverseControlRequest): Promise<boolean> {
      const [name, ...rest] = request.path.split('/');
      const env = environments.get((name ?? '').toLowerCase());
      if (!env) return false;
      return handleControl(env, rest.join('/'), request);
    },

    async reset() {
      closeAll();
      const entries = await fs.promises.readdir(root);
      await Promise.all(entries.map((e) => fs.promises.rm(path.join(root, e), { recursive: true, force: true, maxRetries: 5, retryDelay: 50 })));
    },

    async close() {
      closeAll();
      await fs.promises.rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    },

    environment: (name: string) => environments.get(name.toLowerCase()),

    editSolution(environment, uniqueName, edit) {
      const env = environments.get(environment.toLowerCase());
      if (!env) throw new ODataFailure(404, '0x80040217', `Environment '${environment}' does not exist on this emulator.`);
      const record = env.editUnmanagedSolution(uniqueName, edit);
      return { uniqueName: record.uniqueName, version: record.version, components: record.components };
    },
  };
}
