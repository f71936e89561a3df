/**
 * The Reporter operations use, implemented over the agent's logging commands.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Reporter } from '../operations/reporter';
import type { Agent } from './agent';

export function createAgentReporter(agent: Agent, signal: AbortSignal): Reporter {
  // The agent's log viewer has no nested sections: an inner group is shown as a plain heading line.
  let groupDepth = 0;
  let summaryCount = 0;
  return {
    signal,
    debug: (message) => agent.debug(message),
    info: (message) => agent.log(message),
    warn: (message) => agent.warning(message),
    async group(name, fn) {
      const outer = groupDepth === 0;
      agent.log(outer ? `##[group]${name}` : `-- ${name}`);
      groupDepth++;
      try {
        return await fn();
      } finally {
        groupDepth--;
        if (outer) agent.log('##[endgroup]');
      }
    },
    progress: (percent, text) => agent.setProgress(Math.max(0, Math.min(100, Math.round(percent))), text),
    setOutput: (name, value) => agent.setOutputVariable(name, value),
    addSummary(title, markdown) {
      const dir = agent.getVariable('Agent.TempDirectory') || os.tmpdir();
      fs.mkdirSync(dir, { recursive: true });
      const slug = title.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase() || 'summary';
      const file = path.join(dir, `dataverse-alm-${process.pid}-${++summaryCount}-${slug}.md`);
      fs.writeFileSync(file, markdown, 'utf8');
      agent.addSummaryAttachment(title, file);
    },
  };
}
