/** The emulated Azure DevOps work item API (emulator/README.md, "Azure DevOps work items"). */
export { DEVOPS_PREFIX, handleDevOpsRequest, isDevOpsPath } from './api';
export { handleDevOpsControl, type DevOpsControlRequest } from './control';
export { PROCESSES, type ProcessName } from './processes';
export { DEFAULT_DEVOPS_PROJECTS, resolveDevOpsProjects, type ResolvedDevOpsProject, type SeedDevOpsProject } from './seed';
export { resetDevOps } from './state';
