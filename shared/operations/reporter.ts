/**
 * What an operation may do to the outside world besides its own I/O: log, group, report progress, set
 * output variables and attach a Markdown summary. shared/pipeline implements it over task-lib; tests use
 * an in-memory recorder. Operations never see task-lib.
 */
import type { Logger } from '../core';

export interface Reporter extends Logger {
  /** Runs `fn` inside a collapsible log section (`##[group]name` … `##[endgroup]`). */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** 0–100 and a short description of the current step (`##vso[task.setprogress]`). */
  progress(percent: number, text: string): void;
  /** Output variable readable by later steps, jobs and stages (`isOutput=true`). */
  setOutput(name: string, value: string): void;
  /** Adds a section to the run summary page. */
  addSummary(markdownTitle: string, markdown: string): void;
  /** Aborted when the agent cancels the task (SIGINT/SIGTERM). */
  readonly signal: AbortSignal;
}

/** A Reporter that keeps everything in memory: for in-process tests and for callers that report themselves. */
export interface RecordingReporter extends Reporter {
  readonly lines: string[];
  readonly outputs: Record<string, string>;
  readonly summaries: { title: string; markdown: string }[];
  readonly progressUpdates: { percent: number; text: string }[];
}

export function createRecordingReporter(signal: AbortSignal = new AbortController().signal): RecordingReporter {
  const lines: string[] = [];
  const outputs: Record<string, string> = {};
  const summaries: { title: string; markdown: string }[] = [];
  const progressUpdates: { percent: number; text: string }[] = [];
  return {
    lines,
    outputs,
    summaries,
    progressUpdates,
    signal,
    debug: (message) => { lines.push(`debug: ${message}`); },
    info: (message) => { lines.push(message); },
    warn: (message) => { lines.push(`warning: ${message}`); },
    async group(name, fn) {
      lines.push(`[group] ${name}`);
      try {
        return await fn();
      } finally {
        lines.push(`[endgroup] ${name}`);
      }
    },
    progress: (percent, text) => { progressUpdates.push({ percent, text }); },
    setOutput: (name, value) => { outputs[name] = value; },
    addSummary: (title, markdown) => { summaries.push({ title, markdown }); },
  };
}
