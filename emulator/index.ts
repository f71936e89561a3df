/** Local emulator of Entra ID, IMDS, Azure DevOps oidctoken and Dataverse (README.md in this folder). */
export { startEmulator, type RunningEmulator, type StartEmulatorOptions } from './core/server';
export type { EmulatorInfo } from './core/info';
export { DEFAULTS, type Seed, type SeedApp, type SeedEnvironment, type SeedManagedIdentity, type SeedTenant, type Limits } from './core/seed';
export type { Fault, FaultSpec } from './core/faults';
export type { LoggedRequest } from './core/requestLog';
