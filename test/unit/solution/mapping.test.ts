import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MapResolver, MissingContentError, packSolution, parseMapFile, ZipReader } from '../../../shared/solution';
import { writeSampleSolutionFolder } from '../../fixtures/solution/sample-solution';
import { rejectsWith, TempDirs } from './helpers';

const DLL = 'PluginAssemblies/ContosoPlugins-D16718E7-28B9-4BD5-9461-E162CE09CA05/ContosoPlugins.dll';
const JS = 'WebResources/cnt_/scripts/project.form.js';

describe('solution map files', () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  function setup() {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'SolutionFiles'), { managed: 0 });
    fs.rmSync(path.join(sample.solutionRoot, ...DLL.split('/')));
    fs.rmSync(path.join(sample.solutionRoot, ...JS.split('/')));
    fs.mkdirSync(path.join(dir, 'Plugins', 'bin', 'Release'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'Plugins', 'bin', 'Release', 'Contoso.Plugins.dll'), 'built dll');
    fs.mkdirSync(path.join(dir, 'Web', 'scripts'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'Web', 'scripts', 'project.form.js'), '// built js');
    return { dir, sample };
  }

  it('parses FileToFile, FileToPath and Folder with Windows paths', () => {
    const rules = parseMapFile('\uFEFF<?xml version="1.0"?><Mapping><FileToFile map="a.dll" to="..\\bin\\A.dll" /><FileToPath map="WebResources\\**\\*.*" to="..\\Web\\**" /><Folder map="Controls\\x" to="..\\pcf\\out" /></Mapping>', 'map.xml');
    assert.deepEqual(rules, [
      { kind: 'FileToFile', map: 'a.dll', to: '../bin/A.dll' },
      { kind: 'FileToPath', map: 'WebResources/**/*.*', to: '../Web/**' },
      { kind: 'Folder', map: 'Controls/x', to: '../pcf/out' },
    ]);
    assert.throws(() => parseMapFile('<Mapping><Copy map="a" to="b"/></Mapping>', 'map.xml'), /unknown mapping element <Copy>/);
    assert.throws(() => parseMapFile('<Mapping><FileToFile map="a"/></Mapping>', 'map.xml'), /needs both map and to/);
    assert.throws(() => parseMapFile('<Map/>', 'map.xml'), /expected <Mapping>/);
  });

  it('packs with content supplied through the map (FileToFile by file name, wildcard FileToPath)', async () => {
    const { dir, sample } = setup();
    const map = path.join(dir, 'map.xml');
    fs.writeFileSync(map, `<Mapping>
  <FileToFile map="ContosoPlugins.dll" to="..\\Plugins\\bin\\Release\\Contoso.Plugins.dll" />
  <FileToPath map="WebResources\\*.*" to="..\\Web\\**" />
  <FileToPath map="WebResources\\**\\*.*" to="..\\Web\\**" />
</Mapping>`);
    const packed = await packSolution({ folder: sample.folder, mapFile: map, unmanagedZipPath: path.join(dir, 'out.zip') });
    const zip = await ZipReader.open(packed.unmanagedZipPath as string);
    try {
      assert.equal(await zip.readText(DLL), 'built dll');
      assert.equal(await zip.readText('WebResources/cnt_scriptsprojectformjsB9E478CC-2ADB-E611-80D9-3863BB34CDB0'), '// built js');
    } finally {
      zip.close();
    }
  });

  it('maps whole folders and reads the map path from the cdsproj', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'proj'), { managed: 0, layout: 'project' });
    fs.rmSync(path.join(sample.solutionRoot, 'PluginAssemblies'), { recursive: true });
    const built = path.join(dir, 'build', 'ContosoPlugins-D16718E7-28B9-4BD5-9461-E162CE09CA05');
    fs.mkdirSync(built, { recursive: true });
    fs.writeFileSync(path.join(built, 'ContosoPlugins.dll'), 'folder-mapped');
    fs.mkdirSync(path.join(sample.solutionRoot, 'PluginAssemblies', 'ContosoPlugins-D16718E7-28B9-4BD5-9461-E162CE09CA05'), { recursive: true });
    fs.writeFileSync(path.join(sample.solutionRoot, 'PluginAssemblies', 'ContosoPlugins-D16718E7-28B9-4BD5-9461-E162CE09CA05', 'ContosoPlugins.dll.data.xml'),
      '<PluginAssembly FullName="Contoso.Plugins"><FileName>/PluginAssemblies/ContosoPlugins-D16718E7-28B9-4BD5-9461-E162CE09CA05/ContosoPlugins.dll</FileName></PluginAssembly>');
    fs.writeFileSync(path.join(sample.folder, 'map.xml'), '<Mapping><Folder map="PluginAssemblies" to="..\\..\\build" /></Mapping>');
    const proj = path.join(sample.folder, 'ContosoSample.cdsproj');
    fs.writeFileSync(proj, fs.readFileSync(proj, 'utf8').replace('</Project>', '<PropertyGroup><SolutionPackageMapFilePath>map.xml</SolutionPackageMapFilePath></PropertyGroup></Project>'));
    const packed = await packSolution({ folder: sample.folder, outputFolder: path.join(dir, 'out') });
    const zip = await ZipReader.open(packed.unmanagedZipPath as string);
    try { assert.equal(await zip.readText(DLL), 'folder-mapped'); } finally { zip.close(); }
  });

  it('names exactly the files nothing supplies, with where the map pointed', async () => {
    const { dir, sample } = setup();
    const map = path.join(dir, 'map.xml');
    fs.writeFileSync(map, `<Mapping>
  <FileToFile map="ContosoPlugins.dll" to="..\\Plugins\\bin\\Debug\\Contoso.Plugins.dll" />
  <FileToPath map="WebResources\\**\\*.*" to="..\\Web\\**" />
</Mapping>`);
    const err = await rejectsWith(() => packSolution({ folder: sample.folder, mapFile: map, outputFolder: path.join(dir, 'out') }), /1 file\(s\) referenced by the solution are missing/);
    assert.ok(err instanceof MissingContentError);
    assert.deepEqual(err.missingFiles.map((m) => m.path), [DLL]);
    assert.match(err.message, /the map file points to .*Debug.*Contoso\.Plugins\.dll, which does not exist/);
  });

  it('supports ** in a FileToFile target, %VARIABLES%, and does not fall back to the tree when a rule matched', async () => {
    const { dir, sample } = setup();
    process.env.SOLUTION_TEST_BUILD = path.join(dir, 'Plugins');
    try {
      const resolver = new MapResolver(parseMapFile(`<Mapping>
  <FileToFile map="PluginAssemblies\\**\\ContosoPlugins.dll" to="%SOLUTION_TEST_BUILD%\\**\\Contoso.Plugins.dll" />
  <FileToFile map="Solution.xml" to="..\\nowhere\\Solution.xml" />
  <FileToFile map="Solution.xml" to="..\\also-nowhere\\Solution.xml" />
</Mapping>`, 'm'), sample.solutionRoot);
      assert.equal((await resolver.resolve(DLL)).file, path.join(dir, 'Plugins', 'bin', 'Release', 'Contoso.Plugins.dll'));
      const missing = await resolver.resolve('Other/Solution.xml');
      assert.equal(missing.file, undefined);
      assert.equal(missing.missingTarget, path.join(dir, 'nowhere', 'Solution.xml'));
    } finally {
      delete process.env.SOLUTION_TEST_BUILD;
    }
  });

  it('resolves rules in order and ignores case', async () => {
    const { dir, sample } = setup();
    const resolver = new MapResolver(parseMapFile('<Mapping><FileToPath map="webresources\\**\\*.JS" to="..\\Web\\**" /></Mapping>', 'm'), sample.solutionRoot);
    assert.equal((await resolver.resolve(JS)).file, path.join(dir, 'Web', 'scripts', 'project.form.js'));
    assert.deepEqual(await resolver.resolve('Other/Solution.xml'), {});
    await rejectsWith(() => MapResolver.load(path.join(dir, 'none.xml'), sample.solutionRoot), /Map file '.*none\.xml' does not exist/);
  });
});
