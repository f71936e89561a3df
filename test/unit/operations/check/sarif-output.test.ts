/** Writing the checker's SARIF files into the CodeAnalysisLogs folder. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSarifFiles } from '../../../../shared/operations/check/sarif-output';

describe('operations/check: writeSarifFiles', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sarif-out-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates the folder, keeps entry base names, gives equal names a suffix and .json files a .sarif name', async () => {
    const out = path.join(dir, 'CodeAnalysisLogs');
    const written = await writeSarifFiles(out, [
      { uri: 'https://x/a.zip?sig=***', sarifFiles: [{ name: 'results/Contoso.sarif', content: Buffer.from('1') }] },
      { uri: 'https://x/b.zip?sig=***', sarifFiles: [{ name: 'contoso.sarif', content: Buffer.from('2') }, { name: 'App.sarif.json', content: Buffer.from('3') }] },
    ]);
    assert.deepEqual(written.map((f) => path.relative(out, f)), ['Contoso.sarif', 'contoso-2.sarif', 'App.sarif']);
    assert.deepEqual(fs.readdirSync(out).sort(), ['App.sarif', 'Contoso.sarif', 'contoso-2.sarif']);
    assert.equal(fs.readFileSync(path.join(out, 'contoso-2.sarif'), 'utf8'), '2');
  });
});
