import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yazl from 'yazl';
import { DEFAULT_ZIP_LIMITS, unsafeEntryReason, writeZip, ZipReader } from '../../../shared/solution';
import { rejectsWith, TempDirs } from './helpers';

interface RawEntry { name: string; data: Buffer; mode?: number }

/** Builds a zip with yazl, then rewrites same-length placeholder names to names yazl itself refuses to write. */
async function craftZip(file: string, entries: RawEntry[], renames: Array<[string, string]> = []): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(e.data, e.name, { mtime: new Date(2000, 0, 1), mode: e.mode ?? 0o100644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  let bytes = Buffer.concat(chunks);
  for (const [from, to] of renames) {
    assert.equal(from.length, to.length);
    bytes = Buffer.from(bytes.toString('latin1').split(from).join(to), 'latin1');
  }
  fs.writeFileSync(file, bytes);
}

describe('solution zip I/O', () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());
  const small = Buffer.from('data');

  const hostile: Array<[string, RawEntry[], Array<[string, string]>, RegExp]> = [
    ['a .. segment', [{ name: 'aa/evil.txt', data: small }], [['aa/evil.txt', '../evil.txt']], /entry '\.\.\/evil\.txt' contains a '\.\.' segment/],
    ['a backslash .. segment', [{ name: 'x/aa/evil.txt', data: small }], [['x/aa/evil.txt', 'x\\..\\evil.txt']], /contains a '\.\.' segment/],
    ['an absolute path', [{ name: 'xetc/passwd', data: small }], [['xetc/passwd', '/etc/passwd']], /entry '\/etc\/passwd' is an absolute path/],
    ['a drive letter', [{ name: 'Cx/win.ini', data: small }], [['Cx/win.ini', 'C:/win.ini']], /starts with a drive letter/],
    ['a symbolic link', [{ name: 'link', data: Buffer.from('/etc/passwd'), mode: 0o120777 }], [], /entry 'link' is a symbolic link/],
    ['a duplicate name', [{ name: 'a.xml', data: small }, { name: 'b.xml', data: small }], [['b.xml', 'a.xml']], /entry 'a\.xml' appears twice/],
    ['names differing only by case', [{ name: 'Solution.xml', data: small }, { name: 'solution.xml', data: small }], [], /entries 'Solution\.xml' and 'solution\.xml' differ only by case/],
  ];
  for (const [what, entries, renames, error] of hostile) {
    it(`refuses an entry with ${what}`, async () => {
      const file = path.join(temp.make(), 'hostile.zip');
      await craftZip(file, entries, renames);
      await rejectsWith(() => ZipReader.open(file), error);
    });
  }

  it('refuses a zip bomb (compression ratio) and totals above the limit', async () => {
    const dir = temp.make();
    const bomb = path.join(dir, 'bomb.zip');
    await craftZip(bomb, [{ name: 'zeros.bin', data: Buffer.alloc(8 * 1024 * 1024) }]);
    await rejectsWith(() => ZipReader.open(bomb), /entry 'zeros\.bin' has a compression ratio above 200:1 \(zip bomb\?\)/);
    const many = path.join(dir, 'many.zip');
    await craftZip(many, [{ name: 'a', data: Buffer.alloc(60) }, { name: 'b', data: Buffer.alloc(60) }]);
    await rejectsWith(() => ZipReader.open(many, { ...DEFAULT_ZIP_LIMITS, maxTotalBytes: 100 }), /more than 100 bytes in total/);
    await rejectsWith(() => ZipReader.open(many, { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: 50 }), /entry 'a' would expand to 60 bytes \(limit 50\)/);
    await rejectsWith(() => ZipReader.open(many, { ...DEFAULT_ZIP_LIMITS, maxEntries: 1 }), /more than 1 entries/);
  });

  it('refuses a file that is not a zip with a clear message', async () => {
    const file = path.join(temp.make(), 'not.zip');
    fs.writeFileSync(file, 'hello');
    await rejectsWith(() => ZipReader.open(file), /Cannot read zip '.*not\.zip'/);
  });

  it('classifies unsafe names', () => {
    assert.equal(unsafeEntryReason('WebResources/a.js'), undefined);
    assert.equal(unsafeEntryReason('a..b/c'), undefined);
    assert.match(unsafeEntryReason('a/../../b') ?? '', /\.\./);
    assert.match(unsafeEntryReason('\\server\\share') ?? '', /absolute/);
  });

  it('writes deterministic zips (same input → same bytes) via a temp name, and reads them back streaming', async () => {
    const dir = temp.make();
    const big = path.join(dir, 'big.bin');
    fs.writeFileSync(big, Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251)));
    const entries = [
      { name: 'customizations.xml', source: { kind: 'buffer' as const, data: Buffer.from('<a/>') } },
      { name: 'Workflows/big.bin', source: { kind: 'file' as const, path: big } },
    ];
    await writeZip(path.join(dir, 'one.zip'), entries);
    fs.utimesSync(big, new Date(2020, 1, 1), new Date(2020, 1, 1));
    await writeZip(path.join(dir, 'out', 'two.zip'), entries);
    assert.ok(fs.readFileSync(path.join(dir, 'one.zip')).equals(fs.readFileSync(path.join(dir, 'out', 'two.zip'))));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'out')), ['two.zip']);
    const zip = await ZipReader.open(path.join(dir, 'one.zip'));
    try {
      assert.deepEqual(zip.entries.map((e) => e.name), ['customizations.xml', 'Workflows/big.bin']);
      assert.equal(zip.findName('CUSTOMIZATIONS.XML'), 'customizations.xml');
      await zip.extractTo('Workflows/big.bin', path.join(dir, 'x', 'big.bin'));
      assert.ok(fs.readFileSync(path.join(dir, 'x', 'big.bin')).equals(fs.readFileSync(big)));
      await rejectsWith(() => zip.readText('nope.xml'), /has no entry 'nope\.xml'/);
    } finally {
      zip.close();
    }
  });

  it('leaves no partial zip when a source file cannot be read', async () => {
    const dir = temp.make();
    await assert.rejects(writeZip(path.join(dir, 'fail.zip'), [{ name: 'x', source: { kind: 'file', path: path.join(dir, 'missing.bin') } }]));
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('names the zip and the entry when an entry cannot be read (damaged data), for reading and for extracting', async () => {
    const dir = temp.make();
    const file = path.join(dir, 'damaged.zip');
    const text = Array.from({ length: 4000 }, (_, i) => `line ${i} of the web resource\n`).join('');
    await craftZip(file, [{ name: 'WebResources/big.js', data: Buffer.from(text) }]);
    // Overwrite the middle of the deflated data: the local header is 30 bytes + the name.
    const bytes = fs.readFileSync(file);
    const dataStart = 30 + 'WebResources/big.js'.length;
    bytes.fill(0xff, dataStart + 20, dataStart + 60);
    fs.writeFileSync(file, bytes);
    const zip = await ZipReader.open(file);
    try {
      await rejectsWith(() => zip.readText('WebResources/big.js'), /Cannot read 'WebResources\/big\.js' in zip '.*damaged\.zip': .+ The zip is damaged or incomplete/);
      await rejectsWith(() => zip.extractTo('WebResources/big.js', path.join(dir, 'out', 'big.js')), /Cannot read 'WebResources\/big\.js' in zip '.*damaged\.zip'/);
    } finally {
      zip.close();
    }
  });
});
