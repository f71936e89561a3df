/**
 * Runs a bundled task the way the Azure Pipelines agent does: a separate `node` process whose inputs,
 * service connection and system variables arrive as INPUT_*, ENDPOINT_* and SYSTEM_* environment variables.
 * Used by the demo; prints the task's own log lines (the agent would render them) minus the
 * ##vso[task.setsecret] commands, which the agent consumes silently.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ServiceConnection {
  id: string;
  url: string;
  scheme: string;
  parameters: Record<string, string>;
}

export interface TaskRun {
  ok: boolean;
  outputs: Record<string, string>;
  lines: string[];
}

export function agentEnvironment(inputs: Record<string, string>, connections: ServiceConnection[], workDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AGENT_TEMPDIRECTORY: path.join(workDir, '_temp'),
    AGENT_WORKFOLDER: workDir,
    BUILD_ARTIFACTSTAGINGDIRECTORY: path.join(workDir, 'a'),
    BUILD_SOURCESDIRECTORY: path.join(workDir, 's'),
    SYSTEM_DEFAULTWORKINGDIRECTORY: path.join(workDir, 's'),
    SYSTEM_HOSTTYPE: 'build',
    SYSTEM_DEBUG: 'false',
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  for (const c of connections) {
    env[`ENDPOINT_URL_${c.id}`] = c.url;
    env[`ENDPOINT_AUTH_${c.id}`] = JSON.stringify({ scheme: c.scheme, parameters: c.parameters });
    env[`ENDPOINT_AUTH_SCHEME_${c.id}`] = c.scheme;
    for (const [k, v] of Object.entries(c.parameters)) env[`ENDPOINT_AUTH_PARAMETER_${c.id}_${k.toUpperCase()}`] = v;
  }
  for (const d of ['_temp', 'a', 's']) fs.mkdirSync(path.join(workDir, d), { recursive: true });
  return env;
}

export function runBundledTask(bundle: string, env: NodeJS.ProcessEnv, indent = '    '): Promise<TaskRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    const lines: string[] = [];
    const outputs: Record<string, string> = {};
    let result = '';
    const onLine = (line: string): void => {
      lines.push(line);
      if (line.startsWith('##vso[task.setsecret]')) return;
      const setVar = /^##vso\[task\.setvariable variable=([^;\]]+);[^\]]*\](.*)$/.exec(line);
      if (setVar) { outputs[setVar[1]] = setVar[2]; console.log(`${indent}output ${setVar[1]} = ${setVar[2]}`); return; }
      const complete = /^##vso\[task\.complete result=([A-Za-z]+);?\](.*)$/.exec(line);
      if (complete) { result = complete[1]; console.log(`${indent}result: ${complete[1]}${complete[2] ? ` (${complete[2]})` : ''}`); return; }
      if (line.startsWith('##vso[task.setprogress')) return;
      if (line.startsWith('##vso[') || line.startsWith('##[endgroup]')) return;
      console.log(indent + line.replace(/^##\[(group|section)\]/, '▸ '));
    };
    const feed = (d: Buffer): void => {
      buffer += d.toString();
      let i;
      while ((i = buffer.indexOf('\n')) >= 0) { onLine(buffer.slice(0, i).replace(/\r$/, '')); buffer = buffer.slice(i + 1); }
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    child.on('close', (code) => {
      if (buffer) onLine(buffer);
      resolve({ ok: code === 0 && result !== 'Failed', outputs, lines });
    });
  });
}

export function makeWorkDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dataverse-alm-demo-'));
}
