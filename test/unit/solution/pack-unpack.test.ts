import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as sinon from 'sinon';
import {
  inspectSolutionFolder, MissingContentError, packSolution, PackResult, unpackSolution, writeZip, ZipReader,
} from '../../../shared/solution';
import { writeSampleSolutionFolder } from '../../fixtures/solution/sample-solution';
import { treeDifferences, zipDifferences } from '../../fixtures/solution/tree-compare';
import { rejectsWith, TempDirs } from './helpers';

describe('solution pack / unpack', () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  for (const layout of ['flat', 'project', 'src'] as const) {
    it(`round-trips a Both (<Managed>2) sample in the ${layout} layout`, async () => {
      const dir = temp.make();
      const sample = writeSampleSolutionFolder(path.join(dir, 'in'), { layout });
      const info = inspectSolutionFolder(sample.folder);
      assert.equal(info.layout, layout);
      assert.equal(info.solutionRoot, sample.solutionRoot);
      const packed = await packSolution({ folder: sample.folder, packageType: 'Both', outputFolder: path.join(dir, 'out') });
      assert.ok(packed.unmanagedZipPath && packed.managedZipPath);
      await unpackSolution({ unmanagedZipPath: packed.unmanagedZipPath, managedZipPath: packed.managedZipPath, folder: path.join(dir, 'back') });
      assert.deepEqual(await treeDifferences(sample.solutionRoot, path.join(dir, 'back')), []);
    });
  }

  it('round-trips an unmanaged-only sample with CRLF line endings and writes no _managed files', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'), { managed: 0, eol: '\r\n' });
    const packed = await packSolution({ folder: sample.folder, outputFolder: path.join(dir, 'out') });
    assert.equal(packed.packageType, 'Unmanaged');
    assert.equal(packed.managedZipPath, undefined);
    const back = path.join(dir, 'back');
    const result = await unpackSolution({ unmanagedZipPath: packed.unmanagedZipPath, folder: back });
    assert.equal(result.managed, 0);
    assert.ok(!result.written.some((f) => f.includes('_managed')));
    assert.deepEqual(await treeDifferences(sample.solutionRoot, back), []);
  });

  it('puts components at the zip paths real exports use and generates [Content_Types].xml', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'), { uniqueName: 'Names', publisherPrefix: 'cnt' });
    const packed = await packSolution({ folder: sample.folder, packageType: 'Unmanaged', unmanagedZipPath: path.join(dir, 'n.zip') });
    const zip = await ZipReader.open(packed.unmanagedZipPath as string);
    try {
      const names = zip.entries.map((e) => e.name);
      assert.deepEqual(names.slice(0, 2), ['customizations.xml', 'solution.xml']);
      assert.equal(names[names.length - 1], '[Content_Types].xml');
      for (const expected of [
        'WebResources/cnt_scriptsprojectformjsB9E478CC-2ADB-E611-80D9-3863BB34CDB0',
        'Connector/cnt_contoso-20api_iconblob.Png',
        'Formulas/cnt_project-cnt_total.xaml',
        'Workflows/ProjectSync-6F1C2B0A-1D2E-4F00-9A1B-00224805C837.json',
        'PluginAssemblies/ContosoPlugins-D16718E7-28B9-4BD5-9461-E162CE09CA05/ContosoPlugins.dll',
        'environmentvariabledefinitions/cnt_ApiUrl/environmentvariabledefinition.xml',
        'customapis/cnt_Recalculate/customapi.xml',
        'CanvasApps/cnt_projects_1a2b3_DocumentUri.msapp',
      ]) assert.ok(names.includes(expected), `zip lacks ${expected}`);
      assert.ok(!names.some((n) => n.includes('/src/')), 'canvas app source folders are not packed');
      const ct = await zip.readText('[Content_Types].xml');
      assert.ok(ct.startsWith('\uFEFF<?xml version="1.0" encoding="utf-8"?><Types'));
      assert.match(ct, /<Default Extension="xml" ContentType="application\/octet-stream" \/><Default Extension="msapp"/);
      assert.match(ct, /<Default Extension="Png"/);
      assert.match(ct, /<Override PartName="\/WebResources\/cnt_scriptsprojectformjsB9E478CC-2ADB-E611-80D9-3863BB34CDB0"/);
      const solution = await zip.readText('solution.xml');
      assert.ok(solution.startsWith('<ImportExportXml'), 'zip solution.xml has no BOM or declaration');
      assert.match(solution, /<Managed>0<\/Managed>/);
      const custom = await zip.readText('customizations.xml');
      assert.match(custom, /<forms type="main">\s*<systemform>/);
      assert.match(custom, /<Visualizations>\s*<visualization>\s*<savedqueryvisualizationid>/);
      assert.doesNotMatch(custom, /<Entity xmlns:xsi/, 'the namespace is declared once, on the root');
      assert.match(custom, /<UnknownFutureSection attribute="kept">\s*<Item>preserved as is<\/Item>/);
      assert.match(custom, /<Description>Text with &lt;markup&gt; &amp; entities<\/Description>/);
    } finally {
      zip.close();
    }
  });

  it('uses the _managed twins in the managed zip and the plain files in the unmanaged one', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    const packed = await packSolution({ folder: sample.folder, packageType: 'Both', outputFolder: dir });
    const read = async (p: string) => { const z = await ZipReader.open(p); try { return await z.readText('customizations.xml'); } finally { z.close(); } };
    assert.match(await read(packed.unmanagedZipPath as string), /<label description="General"/);
    assert.match(await read(packed.managedZipPath as string), /<label description="" languagecode="1033" \/>/);
    const managedSolution = await (async () => { const z = await ZipReader.open(packed.managedZipPath as string); try { return await z.readText('solution.xml'); } finally { z.close(); } })();
    assert.match(managedSolution, /<Managed>1<\/Managed>/);
  });

  it('packs byte-identical zips for the same input, and stamps a version', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    const a = await packSolution({ folder: sample.folder, packageType: 'Both', outputFolder: path.join(dir, 'a'), version: '2.0.5.7' });
    const b = await packSolution({ folder: sample.folder, packageType: 'Both', outputFolder: path.join(dir, 'b'), version: '2.0.5.7' });
    assert.equal(path.basename(a.unmanagedZipPath as string), 'ContosoSample_2_0_5_7.zip');
    assert.equal(path.basename(a.managedZipPath as string), 'ContosoSample_2_0_5_7_managed.zip');
    assert.ok(fs.readFileSync(a.unmanagedZipPath as string).equals(fs.readFileSync(b.unmanagedZipPath as string)));
    assert.ok(fs.readFileSync(a.managedZipPath as string).equals(fs.readFileSync(b.managedZipPath as string)));
    const z = await ZipReader.open(a.unmanagedZipPath as string);
    try { assert.match(await z.readText('solution.xml'), /<Version>2\.0\.5\.7<\/Version>/); } finally { z.close(); }
    assert.ok(!fs.readdirSync(path.join(dir, 'a')).some((n) => n.endsWith('.tmp')), 'no temp files left');
  });

  it('packs only the unmanaged zip by default, as SolutionPackager does, even from a Both folder', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    const packed = await packSolution({ folder: sample.folder, outputFolder: path.join(dir, 'out') });
    assert.equal(packed.packageType, 'Unmanaged');
    assert.deepEqual(fs.readdirSync(path.join(dir, 'out')), ['ContosoSample_1_2_3_4.zip']);
  });

  it('honours the cdsproj SolutionPackageType', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'proj'), { layout: 'project', packageType: 'Managed' });
    const info = inspectSolutionFolder(sample.folder);
    assert.equal(info.projectPackageType, 'Managed');
    const packed = await packSolution({ folder: sample.folder, outputFolder: path.join(dir, 'out') });
    assert.equal(packed.packageType, 'Managed');
    assert.equal(packed.unmanagedZipPath, undefined);
    assert.ok(packed.managedZipPath);
  });

  it('lists every missing file in one error and writes nothing', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    fs.rmSync(path.join(sample.solutionRoot, 'PluginAssemblies/ContosoPlugins-D16718E7-28B9-4BD5-9461-E162CE09CA05/ContosoPlugins.dll'));
    fs.rmSync(path.join(sample.solutionRoot, 'CanvasApps/cnt_projects_1a2b3_DocumentUri.msapp'));
    fs.rmSync(path.join(sample.solutionRoot, 'WebResources/cnt_/scripts/project.form.js'));
    const out = path.join(dir, 'out');
    const err = await rejectsWith(() => packSolution({ folder: sample.folder, outputFolder: out }), /3 file\(s\) referenced by the solution are missing/);
    assert.ok(err instanceof MissingContentError);
    assert.deepEqual(err.missingFiles.map((m) => m.path).sort(), [
      'CanvasApps/cnt_projects_1a2b3_DocumentUri.msapp',
      'PluginAssemblies/ContosoPlugins-D16718E7-28B9-4BD5-9461-E162CE09CA05/ContosoPlugins.dll',
      'WebResources/cnt_/scripts/project.form.js',
    ]);
    assert.match(err.message, /referenced by CanvasApps\/cnt_projects_1a2b3\.meta\.xml/);
    const lines = err.message.split('\n');
    assert.deepEqual(lines.slice(1, 4).map((l) => l.startsWith('  - ') && l.endsWith(')')), [true, true, true], 'each bullet ends with its own detail');
    assert.equal(lines[4], 'Add these files (or build them and supply them through a map file), then pack again.');
    assert.equal(lines.length, 5);
    assert.ok(!fs.existsSync(out), 'no output folder or partial zip');
  });

  it('leaves neither zip behind when the second one of a Both pack cannot be written', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    fs.writeFileSync(path.join(dir, 'blocker'), 'a file, not a folder');
    const unmanagedZipPath = path.join(dir, 'u.zip');
    await assert.rejects(packSolution({ folder: sample.folder, packageType: 'Both', unmanagedZipPath, managedZipPath: path.join(dir, 'blocker', 'm.zip') }));
    assert.ok(!fs.existsSync(unmanagedZipPath));
    await rejectsWith(() => packSolution({ folder: sample.folder, packageType: 'Both', unmanagedZipPath, managedZipPath: unmanagedZipPath }), /would both be written to/);
  });

  it('keeps the previous zips when one of a Both pack fails, and replaces both only when both succeed', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const unmanagedZipPath = path.join(out, 'u.zip');
    const managedZipPath = path.join(out, 'm.zip');
    fs.writeFileSync(unmanagedZipPath, 'previous unmanaged');
    fs.writeFileSync(path.join(dir, 'blocker'), 'a file, not a folder');
    await assert.rejects(packSolution({ folder: sample.folder, packageType: 'Both', unmanagedZipPath, managedZipPath: path.join(dir, 'blocker', 'm.zip') }),
      (err: Error) => err.message.includes('blocker') && !err.message.includes('.staged'));
    assert.equal(fs.readFileSync(unmanagedZipPath, 'utf8'), 'previous unmanaged');
    assert.deepEqual(fs.readdirSync(out), ['u.zip'], 'no staging file is left behind');

    fs.writeFileSync(managedZipPath, 'previous managed');
    const result = await packSolution({ folder: sample.folder, packageType: 'Both', unmanagedZipPath, managedZipPath });
    assert.equal(result.unmanagedZipPath, unmanagedZipPath);
    assert.equal(result.managedZipPath, managedZipPath);
    assert.deepEqual(fs.readdirSync(out).sort(), ['m.zip', 'u.zip']);
    for (const zip of [unmanagedZipPath, managedZipPath]) assert.equal(fs.readFileSync(zip).subarray(0, 2).toString('latin1'), 'PK');
  });

  it('refuses a zip path that is a folder before replacing anything, and puts previous zips back if a rename fails', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    const out = path.join(dir, 'out');
    fs.mkdirSync(path.join(out, 'm.zip'), { recursive: true });
    const unmanagedZipPath = path.join(out, 'u.zip');
    fs.writeFileSync(unmanagedZipPath, 'previous unmanaged');
    await rejectsWith(() => packSolution({ folder: sample.folder, packageType: 'Both', unmanagedZipPath, managedZipPath: path.join(out, 'm.zip') }),
      /Cannot write the zip '.*m\.zip': a folder of that name exists/);
    assert.equal(fs.readFileSync(unmanagedZipPath, 'utf8'), 'previous unmanaged');
    assert.deepEqual(fs.readdirSync(out).sort(), ['m.zip', 'u.zip']);

    // A rename that fails after the first zip is in place (the second target's folder vanishes) restores the first.
    const managedDir = path.join(dir, 'managed');
    fs.mkdirSync(managedDir);
    const rename = fs.promises.rename;
    const stub = sinon.stub(fs.promises, 'rename').callsFake(async (from, to) => {
      if (String(to) === path.join(managedDir, 'm.zip')) throw Object.assign(new Error(`EACCES: permission denied, rename '${String(from)}'`), { code: 'EACCES' });
      return rename(from, to);
    });
    try {
      await rejectsWith(() => packSolution({ folder: sample.folder, packageType: 'Both', unmanagedZipPath, managedZipPath: path.join(managedDir, 'm.zip') }),
        /Cannot put the packed zips in place \(EACCES.*\); the previous files are kept/);
    } finally {
      stub.restore();
    }
    assert.equal(fs.readFileSync(unmanagedZipPath, 'utf8'), 'previous unmanaged');
    assert.deepEqual(fs.readdirSync(out).sort(), ['m.zip', 'u.zip']);
    assert.deepEqual(fs.readdirSync(managedDir), []);
  });

  it('works only inside the folders it is given: the output folder for pack, the target tree for unpack', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    const spy = sinon.spy(fs.promises, 'mkdtemp');
    try {
      const out = path.join(dir, 'out');
      const packed = await packSolution({ folder: sample.folder, packageType: 'Both', outputFolder: out });
      const tree = path.join(dir, 'tree');
      await unpackSolution({ unmanagedZipPath: packed.unmanagedZipPath, managedZipPath: packed.managedZipPath, folder: tree });
      const prefixes = spy.getCalls().map((c) => String(c.args[0]));
      assert.equal(prefixes.length, 2);
      assert.ok(prefixes[0].startsWith(out + path.sep) && prefixes[1].startsWith(tree + path.sep), prefixes.join(', '));
      assert.deepEqual(fs.readdirSync(out).filter((f) => f.startsWith('.')), [], 'no working folder is left behind');
      assert.deepEqual(fs.readdirSync(tree).filter((f) => f.startsWith('.')), []);
    } finally {
      spy.restore();
    }
  });

  it('explains a canvas app kept only as source', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    fs.rmSync(path.join(sample.solutionRoot, 'CanvasApps/cnt_projects_1a2b3_DocumentUri.msapp'));
    const err = await rejectsWith(() => packSolution({ folder: sample.folder, outputFolder: path.join(dir, 'out') }), /1 file\(s\)/);
    assert.match(err.message, /only the canvas source folder CanvasApps\/src\/cnt_projects_1a2b3\/ exists/);
  });

  it('refuses an extracted zip folder and a folder that is not a solution, saying what is expected', async () => {
    const dir = temp.make();
    fs.writeFileSync(path.join(dir, 'solution.xml'), '<ImportExportXml />');
    fs.writeFileSync(path.join(dir, 'customizations.xml'), '<ImportExportXml />');
    await rejectsWith(() => packSolution({ folder: dir }), /extracted solution zip/);
    await rejectsWith(() => packSolution({ folder: temp.make() }), /not an unpacked solution: no Other\/Solution\.xml/);
    await rejectsWith(() => packSolution({ folder: path.join(dir, 'nope') }), /does not exist/);
  });

  it('rejects an invalid version to stamp before writing', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    await rejectsWith(() => packSolution({ folder: sample.folder, outputFolder: path.join(dir, 'o'), version: '1.2.x' }), /part 3 \(build\) 'x'/);
    assert.ok(!fs.existsSync(path.join(dir, 'o')));
  });

  it('unpacks into a pac project src/, removes stale component files and keeps project and source files', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'proj'), { layout: 'project' });
    const packed = await packSolution({ folder: sample.folder, packageType: 'Both', outputFolder: path.join(dir, 'out') });
    const stale = path.join(sample.solutionRoot, 'WebResources', 'cnt_old.js');
    const staleData = path.join(sample.solutionRoot, 'Entities', 'cnt_Gone', 'Entity.xml');
    fs.writeFileSync(stale, 'old');
    fs.mkdirSync(path.dirname(staleData), { recursive: true });
    fs.writeFileSync(staleData, '<Entity />');
    fs.writeFileSync(path.join(sample.folder, 'map.xml'), '<Mapping />');
    fs.writeFileSync(path.join(sample.solutionRoot, 'README.md'), 'mine');
    const result = await unpackSolution({ unmanagedZipPath: packed.unmanagedZipPath, managedZipPath: packed.managedZipPath, folder: sample.folder });
    assert.equal(result.solutionRoot, sample.solutionRoot);
    assert.deepEqual(result.removed.sort(), ['Entities/cnt_Gone/Entity.xml', 'WebResources/cnt_old.js']);
    assert.ok(!fs.existsSync(path.dirname(staleData)), 'empty component folder removed');
    for (const kept of ['ContosoSample.cdsproj', '.gitignore', 'map.xml', 'src/README.md', 'src/CanvasApps/src/cnt_projects_1a2b3/Src/App.fx.yaml']) {
      assert.ok(fs.existsSync(path.join(sample.folder, kept)), `${kept} must be kept`);
    }
  });

  it('unpacks into the SolutionRootPath of a fresh pac project whose tree does not exist yet', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'), { managed: 0 });
    const packed = await packSolution({ folder: sample.folder, outputFolder: path.join(dir, 'out') });
    const project = path.join(dir, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'New.cdsproj'), '<Project><PropertyGroup><SolutionRootPath>solution\\tree</SolutionRootPath></PropertyGroup></Project>');
    const result = await unpackSolution({ unmanagedZipPath: packed.unmanagedZipPath, folder: project });
    assert.equal(result.solutionRoot, path.join(project, 'solution', 'tree'));
    assert.equal(inspectSolutionFolder(project).manifest.uniqueName, 'ContosoSample');
    assert.deepEqual(await treeDifferences(sample.solutionRoot, result.solutionRoot), []);
  });

  it('re-unpacking an unchanged solution leaves XML files untouched', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    const packed = await packSolution({ folder: sample.folder, packageType: 'Both', outputFolder: path.join(dir, 'out') });
    const back = path.join(dir, 'back');
    const opts = { unmanagedZipPath: packed.unmanagedZipPath, managedZipPath: packed.managedZipPath, folder: back };
    await unpackSolution(opts);
    const entityXml = path.join(back, 'Entities/cnt_Project/Entity.xml');
    const text = fs.readFileSync(entityXml, 'utf8');
    assert.ok(text.startsWith('\uFEFF<?xml version="1.0" encoding="utf-8"?>'), 'SolutionPackager-style BOM + declaration');
    const old = new Date(2001, 1, 1);
    fs.utimesSync(entityXml, old, old);
    await unpackSolution(opts);
    assert.equal(fs.statSync(entityXml).mtimeMs, old.getTime());
    assert.equal(fs.readFileSync(entityXml, 'utf8'), text);
  });

  it('unpack → pack of a packed zip gives an equal zip (zip round trip)', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'), { managed: 0 });
    const first = await packSolution({ folder: sample.folder, outputFolder: path.join(dir, 'one') });
    await unpackSolution({ unmanagedZipPath: first.unmanagedZipPath, folder: path.join(dir, 'tree') });
    const second = await packSolution({ folder: path.join(dir, 'tree'), unmanagedZipPath: path.join(dir, 'two.zip') });
    assert.deepEqual(await zipDifferences(first.unmanagedZipPath as string, second.unmanagedZipPath as string), []);
  });

  it('refuses metadata that would place files outside the tree', async () => {
    const dir = temp.make();
    const solution = '<ImportExportXml><SolutionManifest><UniqueName>Evil</UniqueName><Version>1.0</Version><Managed>0</Managed></SolutionManifest></ImportExportXml>';
    for (const name of ['../../evil.js', '..\\..\\evil.js', 'a/./b.js']) {
      const custom = `<ImportExportXml><WebResources><WebResource><Name>${name}</Name><FileName>/WebResources/x</FileName></WebResource></WebResources></ImportExportXml>`;
      const zipPath = path.join(dir, 'evil.zip');
      await writeZip(zipPath, [
        { name: 'solution.xml', source: { kind: 'buffer', data: Buffer.from(solution) } },
        { name: 'customizations.xml', source: { kind: 'buffer', data: Buffer.from(custom) } },
        { name: 'WebResources/x', source: { kind: 'buffer', data: Buffer.from('x') } },
      ]);
      await rejectsWith(() => unpackSolution({ unmanagedZipPath: zipPath, folder: path.join(dir, 'tree', 'root') }), /is not a safe relative path/);
    }
    assert.ok(!fs.existsSync(path.join(dir, 'evil.js')) && !fs.existsSync(path.join(dir, 'tree')));
  });

  it('leaves the tree untouched when the zip turns out to be malformed after many components were read', async () => {
    const dir = temp.make();
    const { packed, tree } = await packedAndUnpacked(dir);
    const before = await snapshot(tree);
    // The same solution with a new table first and a table whose XML is cut short at the end of <Entities>.
    const zip = await ZipReader.open(packed.unmanagedZipPath as string);
    const original = await zip.readText('customizations.xml');
    assert.match(original, /<Entities>/);
    // (a long comment puts the broken end in a later chunk of the stream than the new table)
    const custom = original.replace('<Entities>', `<Entities><Entity><Name>cnt_Early</Name><EntityInfo><entity Name="cnt_early" /></EntityInfo></Entity><!-- ${'x'.repeat(300_000)} -->`)
      .replace('</Entities>', '<Entity><Name>cnt_Broken</Name><EntityInfo></Entities>');
    const entries = await Promise.all(zip.entries.map(async (e) => ({ name: e.name, data: e.name === 'customizations.xml' ? Buffer.from(custom) : await zip.readBuffer(e.name) })));
    zip.close();
    const broken = path.join(dir, 'broken.zip');
    await writeZip(broken, entries.map((e) => ({ name: e.name, source: { kind: 'buffer' as const, data: e.data } })));
    await rejectsWith(() => unpackSolution({ unmanagedZipPath: broken, folder: tree }), /customizations\.xml is not well-formed XML: .*line \d+/);
    assert.deepEqual(await snapshot(tree), before);
  });

  it('leaves the tree untouched when a content file cannot be read from the zip', async () => {
    const dir = temp.make();
    const { packed, tree } = await packedAndUnpacked(dir);
    fs.rmSync(path.join(tree, 'Entities'), { recursive: true });
    const before = await snapshot(tree);
    const extractTo = ZipReader.prototype.extractTo;
    const stub = sinon.stub(ZipReader.prototype, 'extractTo').callsFake(function (this: ZipReader, name: string, dest: string) {
      if (name.startsWith('WebResources/')) return Promise.reject(new Error(`Cannot read '${name}' in zip '${this.file}': invalid stored block lengths.`));
      return extractTo.call(this, name, dest);
    });
    try {
      await rejectsWith(() => unpackSolution({ unmanagedZipPath: packed.unmanagedZipPath, folder: tree }), /invalid stored block lengths/);
    } finally {
      stub.restore();
    }
    assert.deepEqual(await snapshot(tree), before, 'the removed Entities/ folder is not restored by a failed unpack');
  });

  it('keeps comments between the sections of customizations.xml and gives whole-section files their own attributes', async () => {
    const dir = temp.make();
    const solution = '<ImportExportXml SolutionPackageVersion="9.2"><SolutionManifest><UniqueName>Maps</UniqueName><Version>1.0</Version><Managed>0</Managed></SolutionManifest></ImportExportXml>';
    const custom = '<ImportExportXml><Entities /><!-- keep me --><EntityMaps><EntityMap><EntitySource>account</EntitySource></EntityMap></EntityMaps><Languages><Language>1033</Language></Languages></ImportExportXml>';
    const zipPath = path.join(dir, 'maps.zip');
    await writeZip(zipPath, [
      { name: 'solution.xml', source: { kind: 'buffer', data: Buffer.from(solution) } },
      { name: 'customizations.xml', source: { kind: 'buffer', data: Buffer.from(custom) } },
    ]);
    const tree = path.join(dir, 'tree');
    await unpackSolution({ unmanagedZipPath: zipPath, folder: tree });
    const skeleton = fs.readFileSync(path.join(tree, 'Other', 'Customizations.xml'), 'utf8');
    assert.match(skeleton, /<!-- keep me -->/);
    assert.match(skeleton, /<EntityMaps \/>/, 'the skeleton section stays bare');
    assert.match(fs.readFileSync(path.join(tree, 'Other', 'EntityMaps.xml'), 'utf8'), /<EntityMaps xmlns:xsi="http:\/\/www\.w3\.org\/2001\/XMLSchema-instance">/);
  });

  it('refuses to unpack a managed zip given as unmanaged, and zips of different solutions', async () => {
    const dir = temp.make();
    const a = writeSampleSolutionFolder(path.join(dir, 'a'), { uniqueName: 'Alpha' });
    const b = writeSampleSolutionFolder(path.join(dir, 'b'), { uniqueName: 'Beta' });
    const pa = await packSolution({ folder: a.folder, packageType: 'Both', outputFolder: path.join(dir, 'pa') });
    const pb = await packSolution({ folder: b.folder, packageType: 'Both', outputFolder: path.join(dir, 'pb') });
    await rejectsWith(() => unpackSolution({ unmanagedZipPath: pa.managedZipPath, folder: path.join(dir, 'x') }), /is a managed solution/);
    await rejectsWith(() => unpackSolution({ unmanagedZipPath: pa.unmanagedZipPath, managedZipPath: pb.managedZipPath, folder: path.join(dir, 'y') }), /'Alpha' but the managed zip holds 'Beta'/);
    await rejectsWith(() => unpackSolution({ folder: path.join(dir, 'z') }), /Nothing to unpack/);
  });
});

/** Every file of a folder with its content, to compare a tree before and after. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(child); else out[child] = fs.readFileSync(path.join(dir, child), 'base64');
    }
  };
  walk('');
  return out;
}

/** An unmanaged sample packed into `<dir>/out` and unpacked again into `<dir>/tree`. */
async function packedAndUnpacked(dir: string): Promise<{ packed: PackResult; tree: string }> {
  const sample = writeSampleSolutionFolder(path.join(dir, 'in'), { managed: 0 });
  const packed = await packSolution({ folder: sample.folder, outputFolder: path.join(dir, 'out') });
  const tree = path.join(dir, 'tree');
  await unpackSolution({ unmanagedZipPath: packed.unmanagedZipPath, folder: tree });
  return { packed, tree };
}
