import * as assert from 'node:assert/strict';
import { Directory } from '../../../emulator/core/directory';
import { DEFAULTS, loadSeed } from '../../../emulator/core/seed';

describe('emulator core: seed resolution', () => {
  it('passes environment keys it does not know to the Dataverse module untouched', () => {
    const custom = { timeScale: 0.5, firstParty: [{ uniqueName: 'X', version: '1.0' }] };
    const directory = new Directory(loadSeed({ environments: [{ name: 'qa', ...custom }] }), 'http://127.0.0.1:1');
    const [env] = directory.environments;
    assert.equal(env.url, 'http://127.0.0.1:1/env/qa');
    assert.equal(env.tenantId, DEFAULTS.tenantId);
    assert.deepEqual(env.seed, { name: 'qa', tenantId: DEFAULTS.tenantId, ...custom });
  });

  it('gives environments stable ids, or the ones the seed names', () => {
    const first = new Directory(loadSeed(undefined), 'http://127.0.0.1:1').environment('dev');
    const second = new Directory(loadSeed(undefined), 'http://127.0.0.1:2').environment('DEV');
    assert.equal(first?.organizationId, second?.organizationId);
    const named = new Directory(loadSeed({ environments: [{ name: 'x', organizationId: '0000000a-0000-4000-8000-000000000000' }] }), 'http://h').environment('x');
    assert.equal(named?.organizationId, '0000000a-0000-4000-8000-000000000000');
  });
});
