import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';
import { readTaskJson, taskFolders } from './manifest';

/** Every `- task: Name@Major` in the docs and templates must name a task this extension ships, with its inputs. */
describe('packaging: YAML in templates/ and overview.md refers to real tasks and inputs', () => {
  const tasks = new Map<string, Set<string>>(taskFolders().map((f) => {
    const task = readTaskJson(f);
    return [`${task.name}@${task.version.Major}`, new Set((task.inputs ?? []).map((i) => i.name))] as const;
  }));
  const root = repoRoot();
  const files = [
    path.join(root, 'overview.md'),
    ...fs.readdirSync(path.join(root, 'templates')).filter((f) => f.endsWith('.yml')).map((f) => path.join(root, 'templates', f)),
  ];

  for (const file of files) {
    it(path.relative(root, file), () => {
      const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
      lines.forEach((line, index) => {
        const step = /^(\s*)- task: ([A-Za-z0-9-]+@\d+)\s*$/.exec(line);
        if (!step) return;
        const inputs = tasks.get(step[2]);
        assert.ok(inputs, `${path.basename(file)}:${index + 1}: ${step[2]} is not a task of this extension`);
        // The step's `inputs:` block: lines indented deeper than `inputs:` until the indentation drops back.
        const inputsLine = lines.findIndex((l, i) => i > index && /^\s*inputs:\s*$/.test(l));
        if (inputsLine < 0) return;
        const indent = /^(\s*)/.exec(lines[inputsLine])?.[1].length ?? 0;
        for (let i = inputsLine + 1; i < lines.length; i++) {
          const match = /^(\s*)([A-Za-z][A-Za-z0-9]*):/.exec(lines[i]);
          if (!match || match[1].length <= indent) break;
          assert.ok(inputs.has(match[2]), `${path.basename(file)}:${i + 1}: ${step[2]} has no input '${match[2]}'`);
        }
      });
    });
  }
});
