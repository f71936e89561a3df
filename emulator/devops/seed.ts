/** The `devops.projects` seed key: the Azure DevOps projects of the emulated collection (emulator/README.md). */
import { PROCESS_NAMES, type ProcessName } from './processes';

export interface SeedDevOpsProject {
  name: string;
  /** GUID; default: derived from the position. */
  id?: string;
  /** Default 'Agile'. */
  process?: ProcessName;
}

export type ResolvedDevOpsProject = Required<SeedDevOpsProject>;

export const DEFAULT_DEVOPS_PROJECTS: ResolvedDevOpsProject[] = [
  { name: 'DataverseALM', id: '00000000-0000-4000-8000-0000000000a1', process: 'Agile' },
];

/** Validates the projects; `fail` raises the seed's ConfigError with the message. */
export function resolveDevOpsProjects(projects: unknown, fail: (message: string) => never): ResolvedDevOpsProject[] {
  if (projects === undefined) return DEFAULT_DEVOPS_PROJECTS.map((p) => ({ ...p }));
  if (!Array.isArray(projects) || projects.length === 0) fail('Seed: devops.projects must be a non-empty array of { name, id?, process? }.');
  const resolved = (projects as SeedDevOpsProject[]).map((project, i) => {
    const where = `Seed: devops.projects[${i}]`;
    if (typeof project?.name !== 'string' || !/^[^\\/:*?"<>|;#$%&+,]+$/.test(project.name)) {
      fail(`${where}.name must be a non-empty project name without \\ / : * ? " < > | ; # $ % & + ,`);
    }
    const process = project.process ?? 'Agile';
    if (!PROCESS_NAMES.includes(process)) fail(`${where}.process must be one of ${PROCESS_NAMES.join(', ')} (got ${JSON.stringify(process)}).`);
    const id = project.id ?? `00000000-0000-4000-8000-${(0xa1 + i).toString(16).padStart(12, '0')}`;
    if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) fail(`${where}.id must be a GUID.`);
    return { name: project.name, id: id.toLowerCase(), process };
  });
  const names = resolved.map((p) => p.name.toLowerCase());
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) fail(`Seed: devops project name '${duplicate}' is used twice.`);
  return resolved;
}
