import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv-draft-04';
import { repoRoot } from '../helpers/paths';
import {
  ENDPOINT_TYPE_CONTRIBUTION, TASK_CONTRACTS, readExtensionManifest, readTaskJson, taskFolders, visibleRuleInputs,
  type TaskJson,
} from './manifest';

const folders = taskFolders();
const AGENT_HANDLERS = ['Node20_1', 'Node24'];
const SERVER_HANDLERS = ['HttpRequest', 'HttpRequestChain'];

function endpointTypeNames(): string[] {
  return readExtensionManifest().contributions
    .filter((c) => c.type === ENDPOINT_TYPE_CONTRIBUTION)
    .map((c) => String(c.properties.name));
}

function isServerTask(task: TaskJson): boolean {
  return (task.runsOn ?? ['Agent']).every((r) => r === 'Server' || r === 'ServerGate');
}

describe('packaging: task.json files', () => {
  it('there is at least one task folder', () => {
    assert.ok(folders.length > 0, 'no tasks/*/task.json found');
  });

  it('every task.json is valid against the extended official schema (draft-04)', function () {
    const schemaFile = path.join(repoRoot(), '..', 'shared', 'schemas', 'tasks.schema.extended.json');
    if (!fs.existsSync(schemaFile)) {
      console.log(`      skipped: ${schemaFile} not found (the schema lives beside the repository, in ../shared/schemas)`);
      this.skip();
    }
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as object);
    const problems = folders.flatMap((folder) => {
      if (validate(readTaskJson(folder))) return [];
      return (validate.errors ?? []).map((e) => `${folder}: ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
    });
    assert.deepEqual(problems, []);
  });

  it('the schema check itself catches a wrong handler name (Node20 instead of Node20_1)', function () {
    const schemaFile = path.join(repoRoot(), '..', 'shared', 'schemas', 'tasks.schema.extended.json');
    if (!fs.existsSync(schemaFile)) {
      console.log(`      skipped: ${schemaFile} not found`);
      this.skip();
    }
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as object);
    const task = readTaskJson(folders[0]);
    assert.equal(validate({ ...task, execution: { Node20: { target: 'index.js' } } }), false);
  });

  for (const folder of folders) {
    describe(`tasks/${folder}`, () => {
      const task = readTaskJson(folder);
      const inputs = task.inputs ?? [];
      const inputNames = new Set(inputs.map((i) => i.name));

      it('has the contract name and id of design.md §5', () => {
        assert.ok(TASK_CONTRACTS[folder], `folder '${folder}' is not one of design.md §5: ${Object.keys(TASK_CONTRACTS).join(', ')}`);
        assert.equal(task.name, TASK_CONTRACTS[folder].name);
        assert.equal(task.id, TASK_CONTRACTS[folder].id);
        assert.match(task.name, /^[A-Za-z0-9-]+$/);
      });

      it('has a friendlyName of at most 40 characters, an instanceNameFormat and a version', () => {
        assert.ok(task.friendlyName.length >= 1 && task.friendlyName.length <= 40, `friendlyName '${task.friendlyName}' is ${task.friendlyName.length} characters`);
        assert.ok(task.instanceNameFormat, 'instanceNameFormat missing');
        assert.ok(Number.isInteger(task.version.Major) && Number.isInteger(task.version.Minor) && Number.isInteger(task.version.Patch));
      });

      it('declares the handlers and minimum agent version for its kind of task', () => {
        const handlers = Object.keys(task.execution ?? {}).sort();
        if (isServerTask(task)) {
          assert.equal(handlers.length, 1);
          assert.ok(SERVER_HANDLERS.includes(handlers[0]), `server task handler ${handlers[0]}`);
        } else {
          assert.deepEqual(handlers, AGENT_HANDLERS, 'exactly Node24 + Node20_1');
          assert.equal(task.execution?.Node24.target, task.execution?.Node20_1.target, 'same target for both handlers');
          assert.equal(task.execution?.Node24.target, 'index.js');
          assert.equal(task.minimumAgentVersion, '4.248.0');
        }
      });

      it('has help on every input, known groups, and pick-list defaults among the options', () => {
        const groups = new Set((task.groups ?? []).map((g) => g.name));
        for (const input of inputs) {
          assert.ok(input.helpMarkDown && input.helpMarkDown.trim().length > 10, `input '${input.name}' has no helpMarkDown`);
          if (input.groupName) assert.ok(groups.has(input.groupName), `input '${input.name}' is in unknown group '${input.groupName}'`);
          if (input.type === 'pickList' || input.type === 'radio') {
            assert.ok(input.options && Object.keys(input.options).length > 0, `input '${input.name}' has no options`);
            if (input.defaultValue !== undefined && input.defaultValue !== '') {
              assert.ok(Object.keys(input.options).includes(String(input.defaultValue)), `default '${String(input.defaultValue)}' of '${input.name}' is not an option`);
            }
          }
        }
        for (const group of groups) assert.ok(inputs.some((i) => i.groupName === group), `group '${group}' is empty`);
      });

      it('has visibleRules that only refer to its own inputs', () => {
        const rules = [...inputs.map((i) => i.visibleRule), ...(task.groups ?? []).map((g) => g.visibleRule)].filter((r): r is string => !!r);
        for (const rule of rules) {
          for (const name of visibleRuleInputs(rule)) assert.ok(inputNames.has(name), `visibleRule '${rule}' refers to unknown input '${name}'`);
        }
      });

      it('declares outputVariables (lower-case o) that its restrictions allow it to set', () => {
        assert.equal(task.OutputVariables, undefined, 'use outputVariables, not OutputVariables');
        const allowed = task.restrictions?.settableVariables?.allowed;
        if (allowed) {
          for (const output of task.outputVariables ?? []) assert.ok(allowed.includes(output.name), `output '${output.name}' not in settableVariables`);
        }
      });

      it('uses only the extension\'s own service connection type', () => {
        const endpointTypes = endpointTypeNames();
        for (const input of inputs.filter((i) => i.type.startsWith('connectedService:'))) {
          assert.ok(endpointTypes.includes(input.type.slice('connectedService:'.length)), `input '${input.name}' type ${input.type} is not ${endpointTypes.join(', ')}`);
        }
      });

      it('has its entry point and a real icon beside task.json', () => {
        const dir = path.join(repoRoot(), 'tasks', folder);
        if (!isServerTask(task)) assert.ok(fs.existsSync(path.join(dir, 'index.ts')), 'index.ts missing');
        assert.ok(fs.existsSync(path.join(dir, 'icon.png')), 'icon.png missing');
      });
    });
  }

  it('every task id is unique', () => {
    const ids = folders.map((f) => readTaskJson(f).id.toLowerCase());
    assert.equal(new Set(ids).size, ids.length);
  });
});
