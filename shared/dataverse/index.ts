export { DataverseClient, type DataverseClientOptions, type DataverseRequestOptions } from './client';
export { DataverseError } from './errors';
export type { SolutionRecord, WhoAmIResponse } from './types';
export * from './solutions';
