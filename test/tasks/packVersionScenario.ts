/**
 * MockTestRunner scenario for DataversePackSolution: runs the task's entry with task-lib mocked, inputs taken
 * from the L0_INPUTS environment variable (JSON) that the test sets.
 */
import * as path from 'node:path';
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { repoRoot } from '../helpers/paths';

// Compiled tests run the compiled task (out/tasks/…/index.js); tsx runs the TypeScript source.
const fromSource = path.extname(__filename) === '.ts';
const entry = path.join(repoRoot(), ...(fromSource ? [] : ['out']), 'tasks', 'pack-version', `index${fromSource ? '.ts' : '.js'}`);
const runner = new TaskMockRunner(entry);
for (const [name, value] of Object.entries(JSON.parse(process.env.L0_INPUTS ?? '{}') as Record<string, string>)) {
  runner.setInput(name, value);
}
runner.run();
