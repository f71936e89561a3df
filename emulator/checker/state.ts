/**
 * State of the checker of one emulator instance (uploads, analysis jobs, result blobs), kept beside the core's
 * context (a WeakMap keyed by it) so each emulator has its own and a reset forgets it.
 */
import { randomBytes } from 'node:crypto';
import type { EmulatorContext } from '../core/context';
import type { AnalyzedFile } from './analysis';
import type { IssueSummary } from './sarif';

export type AnalysisOutcome = 'Finished' | 'FinishedWithErrors' | 'Failed';

export interface Caller {
  tenantId: string;
  appId: string;
}

export interface Job {
  correlationId: string;
  caller: Caller;
  statusUrl: string;
  /** Status polls answered so far. */
  polls: number;
  pollsBeforeDone: number;
  outcome: AnalysisOutcome;
  files: AnalyzedFile[];
  resultFileUris: string[];
  issueSummary: IssueSummary;
}

export interface CheckerState {
  /** Signs the SAS query of blob URLs. */
  readonly sasKey: Buffer;
  /** Blob path (container/id/name) → content. */
  readonly blobs: Map<string, Buffer>;
  /** Correlation id (lower case) → job. */
  readonly jobs: Map<string, Job>;
}

const states = new WeakMap<EmulatorContext, CheckerState>();

export function checkerState(ctx: EmulatorContext): CheckerState {
  let state = states.get(ctx);
  if (!state) {
    state = { sasKey: randomBytes(32), blobs: new Map(), jobs: new Map() };
    states.set(ctx, state);
  }
  return state;
}

/** Forgets uploads, jobs and results (control API reset). */
export function resetChecker(ctx: EmulatorContext): void {
  states.delete(ctx);
}
