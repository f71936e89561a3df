import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  generateDeploymentSettings, parseDeploymentSettings, readSolutionFolder, suggestName, validateDeploymentSettings,
} from '../../../shared/solution';
import { corpusDir } from '../../helpers/paths';
import { writeSampleSolutionFolder } from '../../fixtures/solution/sample-solution';
import { TempDirs } from './helpers';

describe('deployment settings', () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  it('reads the pac format with a BOM, any key casing, and reports unknown keys', () => {
    const s = parseDeploymentSettings('\uFEFF{"environmentvariables":[{"schemaname":"a_X","value":"1"},{"SchemaName":"a_J","Value":{"k":1}}],' +
      '"CONNECTIONREFERENCES":[{"LogicalName":"a_C","ConnectionId":"abc","ConnectorId":"/providers/x","ConnectionOwner":"me"}],"ActivateFlowConfiguration":[]}');
    assert.deepEqual(s.environmentVariables, [{ schemaName: 'a_X', value: '1' }, { schemaName: 'a_J', value: '{"k":1}' }]);
    assert.deepEqual(s.connectionReferences, [{ logicalName: 'a_C', connectionId: 'abc', connectorId: '/providers/x' }]);
    assert.deepEqual(s.unknownKeys, ['ActivateFlowConfiguration', 'ConnectionReferences[0].ConnectionOwner']);
  });

  it('rejects documents that are not settings, saying why', () => {
    assert.throws(() => parseDeploymentSettings('{oops', 'settings.json'), /settings\.json is not valid JSON/);
    assert.throws(() => parseDeploymentSettings('[]', 's'), /must be a JSON object/);
    assert.throws(() => parseDeploymentSettings('{"EnvironmentVariables":{}}', 's'), /'EnvironmentVariables' must be an array/);
    assert.throws(() => parseDeploymentSettings('{"ConnectionReferences":[{"ConnectionId":"x"}]}', 's'), /ConnectionReferences\[0\] has no LogicalName/);
    assert.throws(() => parseDeploymentSettings('{"ConnectionReferences":[{"LogicalName":["x"]}]}', 's'), /LogicalName must be a string/);
  });

  it('generates settings listing every connection reference and environment variable', async () => {
    const sample = writeSampleSolutionFolder(temp.make(), { extraEnvironmentVariables: ['cnt_Two'] });
    const contents = await readSolutionFolder(sample.folder);
    const text = generateDeploymentSettings(contents, { connectionId: (n) => `#{${n}}#` });
    const parsed = JSON.parse(text);
    assert.deepEqual(parsed.EnvironmentVariables, [{ SchemaName: 'cnt_ApiUrl', Value: '' }, { SchemaName: 'cnt_Two', Value: '' }]);
    assert.deepEqual(parsed.ConnectionReferences, [{ LogicalName: 'cnt_SharedDataverse', ConnectionId: '#{cnt_SharedDataverse}#', ConnectorId: '/providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps' }]);
    assert.deepEqual(validateDeploymentSettings(parseDeploymentSettings(text), contents).filter((i) => i.severity === 'error'), []);
  });

  it('validates against a solution: unknown names with suggestions, missing entries, duplicates, empty connections', async () => {
    const sample = writeSampleSolutionFolder(temp.make(), { extraEnvironmentVariables: ['cnt_Two'] });
    const contents = await readSolutionFolder(sample.folder);
    const settings = parseDeploymentSettings(JSON.stringify({
      EnvironmentVariables: [{ SchemaName: 'cnt_ApiUr', Value: 'x' }, { SchemaName: 'cnt_two', Value: 'y' }, { SchemaName: 'zzz_Unrelated', Value: '' }],
      ConnectionReferences: [{ LogicalName: 'cnt_SharedDataverse', ConnectionId: '', ConnectorId: '/providers/Microsoft.PowerApps/apis/shared_sql' },
        { LogicalName: 'cnt_SharedDataverse', ConnectionId: 'c' }],
      Extra: 1,
    }));
    const messages = validateDeploymentSettings(settings, contents).map((i) => `${i.severity}: ${i.message}`);
    assert.ok(messages.includes("error: Environment variable 'cnt_ApiUr' is not in the solution; did you mean 'cnt_ApiUrl'?"), messages.join('\n'));
    assert.ok(messages.includes("error: Environment variable 'cnt_two' is not in the solution; did you mean 'cnt_Two'? (names are case-sensitive)"));
    assert.ok(messages.includes("error: Environment variable 'zzz_Unrelated' is not in the solution."));
    assert.ok(messages.some((m) => m.startsWith("warning: Environment variable 'cnt_ApiUrl' of the solution has no entry")));
    assert.ok(messages.includes("error: Connection reference 'cnt_SharedDataverse' appears more than once in the deployment settings."));
    assert.ok(messages.some((m) => /warning: Connection reference 'cnt_SharedDataverse' has an empty ConnectionId/.test(m)));
    assert.ok(messages.some((m) => /settings say connector '.*shared_sql' but the solution uses/.test(m)));
    assert.ok(messages.includes("warning: Deployment settings key 'Extra' is not part of the pac format and is ignored."));
    assert.equal(suggestName('abc', ['xyz_LongName']), undefined);
  });

  it('reads the real settings files of the corpus (pac, ALM Accelerator, and a non-pac custom file) without crashing', () => {
    const corpus = corpusDir();
    if (!corpus || !fs.existsSync(path.join(corpus, 'settings'))) {
      console.log('      corpus settings/ not found (set DATAVERSE_CORPUS): nothing to check');
      return;
    }
    const dir = path.join(corpus, 'settings');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    for (const f of files) {
      const s = parseDeploymentSettings(fs.readFileSync(path.join(dir, f), 'utf8'), f);
      if (/deploymentConfig/.test(f)) assert.equal(s.connectionReferences.length, 14, f);
      if (/custom/i.test(f)) {
        assert.equal(s.environmentVariables.length + s.connectionReferences.length, 0);
        assert.ok(s.unknownKeys.length > 0);
      }
      if (/BusinessApprovalKit__Prod__deploymentSettings/.test(f)) assert.ok(s.unknownKeys.some((k) => k.endsWith('.ConnectionOwner')));
    }
  });
});
