import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyVersionPattern, compareVersions, isValidVersion, parseVersion, stampFolderVersion, stampVersionText } from '../../../shared/solution';
import { UserError } from '../../../shared/core';
import { writeSampleSolutionFolder } from '../../fixtures/solution/sample-solution';
import { TempDirs } from './helpers';

describe('solution versions', () => {
  it('parses 2 to 4 numeric parts', () => {
    assert.deepEqual(parseVersion('1.5').parts, [1, 5]);
    assert.deepEqual(parseVersion('0.0.7').parts, [0, 0, 7]);
    assert.equal(parseVersion(' 1.2.3.2147483647 ').text, '1.2.3.2147483647');
    assert.equal(parseVersion('0.0.0.0').text, '0.0.0.0');
  });

  it('says which part is wrong and why', () => {
    assert.throws(() => parseVersion('1'), /1 part\(s\); a solution version has 2 to 4 parts/);
    assert.throws(() => parseVersion('1.2.3.4.5'), /5 part\(s\)/);
    assert.throws(() => parseVersion(''), /0 part\(s\)/);
    assert.throws(() => parseVersion('1.x.3'), /part 2 \(minor\) 'x' is not a non-negative whole number/);
    assert.throws(() => parseVersion('1.2.-3'), /part 3 \(build\) '-3'/);
    assert.throws(() => parseVersion('1..3'), /part 2 \(minor\) ''/);
    assert.throws(() => parseVersion('1.2.3.2147483648'), /part 4 \(revision\) 2147483648 is larger than 2147483647/);
    assert.equal(isValidVersion('1.0'), true);
    assert.equal(isValidVersion('1.0.a'), false);
  });

  it('compares part by part, missing parts counting as zero', () => {
    assert.equal(compareVersions('1.2', '1.2.0.0'), 0);
    assert.equal(compareVersions('1.10.0.0', '1.9.9.9'), 1);
    assert.equal(compareVersions('1.2.3', '1.2.3.1'), -1);
    assert.equal(compareVersions(parseVersion('2.0'), '10.0'), -1);
  });

  it('applies a pattern where * keeps the source part', () => {
    assert.equal(applyVersionPattern('1.4.0.0', '*.*.123.0'), '1.4.123.0');
    assert.equal(applyVersionPattern('1.4.9.9', '2.*.*.*'), '2.4.9.9');
    assert.equal(applyVersionPattern('1.5', '*.7'), '1.7');
    assert.equal(applyVersionPattern('1.2.3', '*.*.9'), '1.2.9');
  });

  it('takes a full version (no *) with its own part count', () => {
    assert.equal(applyVersionPattern('1.2.3.4', '2.0'), '2.0');
    assert.equal(applyVersionPattern('1.5', '1.6.0.0'), '1.6.0.0');
  });

  it('refuses a pattern whose part count differs from the source version, naming both counts and an example', () => {
    const refused = (source: string, pattern: string, counts: RegExp, example: string) => assert.throws(() => applyVersionPattern(source, pattern, "Input 'version'"),
      (err: unknown) => err instanceof UserError && err.message.startsWith(`Input 'version' '${pattern}'`) && counts.test(err.message) && err.message.includes(example));
    refused('1.2.3.4', '*.*', /has 2 parts but the source version '1\.2\.3\.4' has 4/, "'*.*.*.*' or '*.*.$(Build.BuildId).0'");
    refused('0.0.0.0', '1.2.*', /has 3 parts but the source version '0\.0\.0\.0' has 4/, "'*.*.*.*' or '*.*.$(Build.BuildId).0'");
    refused('1.5', '*.*.7', /has 3 parts but the source version '1\.5' has 2/, "'*.*' or '*.$(Build.BuildId)'");
    refused('1.5', '*.*.*.1', /has 4 parts but the source version '1\.5' has 2/, "'*.*' or '*.$(Build.BuildId)'");
    refused('1.0.0', '*.*.*.*', /has 4 parts but the source version '1\.0\.0' has 3/, "'*.*.*' or '*.*.$(Build.BuildId)'");
  });

  it('rejects patterns with a clear reason', () => {
    assert.throws(() => applyVersionPattern('1.0.0.0', '*.*.$(Build.BuildId).0'), /still contains the pipeline variable \$\(Build\.BuildId\)/);
    assert.throws(() => applyVersionPattern('1.0.0.0', '*.*.99999999999.0'), /larger than 2147483647/);
    assert.throws(() => applyVersionPattern('1.0.0.0', '*'), /Version pattern '\*' is invalid: it has 1 part/);
    assert.throws(() => applyVersionPattern('abc', '*.*'), /Source version 'abc'/);
  });
});

describe('version stamping in a folder', () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  it('changes only the <Version> text of Other/Solution.xml', async () => {
    const sample = writeSampleSolutionFolder(temp.make(), { layout: 'project', eol: '\r\n' });
    const file = path.join(sample.solutionRoot, 'Other', 'Solution.xml');
    const before = fs.readFileSync(file, 'utf8');
    const r = await stampFolderVersion(sample.folder, '4.5.6.7');
    assert.deepEqual(r, { file, previous: '1.2.3.4', version: '4.5.6.7' });
    assert.equal(fs.readFileSync(file, 'utf8'), before.replace('<Version>1.2.3.4</Version>', '<Version>4.5.6.7</Version>'));
    await assert.rejects(stampFolderVersion(sample.folder, '4.5.x'), /part 3 \(build\) 'x'/);
    assert.throws(() => stampVersionText('<ImportExportXml><SolutionManifest /></ImportExportXml>', '1.0'), /no <Version>/);
  });
});
