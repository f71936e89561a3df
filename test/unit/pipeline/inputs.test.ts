import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../../shared/core';
import { createInputReader } from '../../../shared/pipeline/inputs';
import { createFakeAgent } from './fakeAgent';

function reader(inputs: Record<string, string>, variables: Record<string, string> = {}) {
  return createInputReader(createFakeAgent({ inputs, variables }));
}

function throwsUserError(fn: () => unknown, ...fragments: (string | RegExp)[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected UserError, got ${String(err)}`);
    for (const f of fragments) {
      if (typeof f === 'string') assert.ok(err.message.includes(f), `'${err.message}' should contain '${f}'`);
      else assert.match(err.message, f);
    }
    return true;
  });
}

describe('pipeline inputs', () => {
  it('reads required and optional strings, trimmed, naming the input when a required one is empty', () => {
    const r = reader({ a: '  x  ', blank: '   ' });
    assert.equal(r.required('a'), 'x');
    assert.equal(r.optional('blank'), undefined);
    assert.equal(r.optional('missing', 'fallback'), 'fallback');
    throwsUserError(() => r.required('blank'), "Input 'blank' is required", "'blank: <value>'");
  });

  it('reads booleans in the usual spellings and rejects anything else with the allowed values', () => {
    const r = reader({ t: 'True', f: 'false', y: 'yes', n: '0', bad: 'maybe' });
    assert.equal(r.boolean('t', false), true);
    assert.equal(r.boolean('f', true), false);
    assert.equal(r.boolean('y', false), true);
    assert.equal(r.boolean('n', true), false);
    assert.equal(r.boolean('missing', true), true);
    throwsUserError(() => r.boolean('bad', false), "Input 'bad' must be true or false", "'maybe'");
  });

  it('reads integers within a range and says which range when outside it', () => {
    const r = reader({ n: '42', neg: '-3', text: '4.5', big: '100' });
    assert.equal(r.integer('n', { min: 1, max: 60 }), 42);
    assert.equal(r.integer('neg'), -3);
    assert.equal(r.integer('missing', { defaultValue: 7 }), 7);
    assert.equal(r.integer('missing'), undefined);
    throwsUserError(() => r.integer('text', { min: 1 }), "Input 'text' must be a whole number of at least 1", "'4.5'");
    throwsUserError(() => r.integer('big', { min: 1, max: 60 }), "Input 'big' is 100", 'between 1 and 60');
    throwsUserError(() => r.integer('n', { max: 10 }), 'at most 10');
  });

  it('accepts pick-list values case-insensitively and lists the options otherwise', () => {
    const r = reader({ kind: 'MANAGED', bad: 'both-ish' });
    const options = ['both', 'unmanaged', 'managed'] as const;
    assert.equal(r.pickList('kind', options, 'both'), 'managed');
    assert.equal(r.pickList('missing', options, 'both'), 'both');
    throwsUserError(() => r.pickList('bad', options, 'both'), "Input 'bad' is 'both-ish'", 'both, unmanaged, managed');
  });

  describe('paths', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvalm-inputs-'));
      fs.mkdirSync(path.join(dir, 'folder'));
      fs.writeFileSync(path.join(dir, 'file.txt'), 'x');
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('resolves relative paths against System.DefaultWorkingDirectory', () => {
      const r = reader({ p: 'folder' }, { 'System.DefaultWorkingDirectory': dir });
      assert.equal(r.requiredPath('p', { mustExist: 'directory' }), path.join(dir, 'folder'));
      assert.equal(r.optionalPath('missing'), undefined);
    });

    it('resolves against an explicit base and keeps absolute paths', () => {
      const abs = path.join(dir, 'file.txt');
      const r = reader({ rel: 'file.txt', abs });
      assert.equal(r.requiredPath('rel', { baseDir: dir, mustExist: 'file' }), abs);
      assert.equal(r.optionalPath('abs', { mustExist: 'any' }), abs);
    });

    it('names the input and the kind of path when the check fails', () => {
      const r = reader({ none: 'nope', file: 'file.txt', folder: 'folder' }, { 'System.DefaultWorkingDirectory': dir });
      throwsUserError(() => r.requiredPath('none', { mustExist: 'directory' }), "Input 'none'", 'does not exist', dir);
      throwsUserError(() => r.requiredPath('file', { mustExist: 'directory' }), "Input 'file'", 'is a file, but a folder is expected');
      throwsUserError(() => r.requiredPath('folder', { mustExist: 'file' }), "Input 'folder'", 'is a folder, but a file is expected');
      throwsUserError(() => r.requiredPath('empty'), "Input 'empty' is required");
    });
  });
});
