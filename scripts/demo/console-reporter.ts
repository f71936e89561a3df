/** A Reporter that prints to the console, indented, for the demo's in-process operation steps. */
import type { Reporter } from '../../shared/operations/reporter';

export function consoleReporter(indent = '    '): Reporter & { summaries: string[] } {
  const summaries: string[] = [];
  return {
    summaries,
    signal: new AbortController().signal,
    debug: () => undefined,
    info: (message) => console.log(`${indent}${message}`),
    warn: (message) => console.log(`${indent}warning: ${message}`),
    async group(name, fn) {
      console.log(`${indent}▸ ${name}`);
      return fn();
    },
    progress: () => undefined,
    setOutput: (name, value) => console.log(`${indent}output ${name} = ${value}`),
    addSummary: (title) => { summaries.push(title); console.log(`${indent}(summary section '${title}' attached to the run)`); },
  };
}
