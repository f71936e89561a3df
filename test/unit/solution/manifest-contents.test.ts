import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  flowConnectionReferences, packSolution, readManifest, readSolutionFolder, readSolutionZip, setManifestManaged, setManifestVersion,
} from '../../../shared/solution';
import { parseXml, writeXml } from '../../../shared/solution/xml';
import { writeSampleSolutionFolder } from '../../fixtures/solution/sample-solution';
import { TempDirs } from './helpers';

describe('solution manifest and contents', () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  it('reads name, localized names, version, managed flag, publisher, root components and missing dependencies', () => {
    const sample = writeSampleSolutionFolder(temp.make());
    const root = parseXml(fs.readFileSync(path.join(sample.solutionRoot, 'Other', 'Solution.xml'), 'utf8'), 'Solution.xml');
    const m = readManifest(root);
    assert.equal(m.uniqueName, 'ContosoSample');
    assert.deepEqual(m.localizedNames, [{ languageCode: '1033', description: 'Contoso & Sample' }, { languageCode: '1031', description: 'Contoso Beispiel' }]);
    assert.equal(m.version, '1.2.3.4');
    assert.equal(m.managed, 2);
    assert.equal(m.publisher.uniqueName, 'contoso');
    assert.equal(m.publisher.customizationPrefix, 'cnt');
    assert.equal(m.rootComponents.length, 3);
    assert.deepEqual(m.rootComponents[0], { type: '1', id: undefined, schemaName: 'cnt_project', behavior: '0' });
    assert.equal(m.missingDependencies[0].required.schemaName, 'contact');
    assert.equal(m.importExportVersion, '9.2.24053.198');
    setManifestVersion(root, '3.0.1');
    setManifestManaged(root, 1);
    const again = readManifest(parseXml(writeXml(root, { declaration: false }), 'x'));
    assert.equal(again.version, '3.0.1');
    assert.equal(again.managed, 1);
  });

  it('rejects manifests that cannot be right', () => {
    assert.throws(() => readManifest(parseXml('<Solution/>', 'solution.xml')), /root element is <Solution>, expected <ImportExportXml>/);
    assert.throws(() => readManifest(parseXml('<ImportExportXml/>', 'solution.xml')), /<SolutionManifest> is missing/);
    assert.throws(() => readManifest(parseXml('<ImportExportXml><SolutionManifest><UniqueName>a</UniqueName><Version>1.0</Version><Managed>3</Managed></SolutionManifest></ImportExportXml>', 's')), /<Managed> is '3'/);
    assert.throws(() => readManifest(parseXml('<ImportExportXml><SolutionManifest><UniqueName>a</UniqueName><Version>1</Version></SolutionManifest></ImportExportXml>', 's')), /<Version> '1' is invalid/);
    assert.throws(() => readManifest(parseXml('<ImportExportXml><SolutionManifest><Version>1.0</Version></SolutionManifest></ImportExportXml>', 's')), /<UniqueName> is missing/);
  });

  it('lists tables, connection references, env vars and flows with their connection references (folder and zip)', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'), { layout: 'project', extraConnectionReferences: ['cnt_Second'], extraEnvironmentVariables: ['cnt_Other'] });
    const fromFolder = await readSolutionFolder(sample.folder);
    const packed = await packSolution({ folder: sample.folder, packageType: 'Unmanaged', outputFolder: path.join(dir, 'out') });
    const fromZip = await readSolutionZip(packed.unmanagedZipPath as string);
    for (const c of [fromFolder, fromZip]) {
      assert.deepEqual(c.entities, ['cnt_Project']);
      assert.deepEqual(c.connectionReferences.map((r) => r.logicalName), ['cnt_SharedDataverse', 'cnt_Second']);
      assert.equal(c.connectionReferences[0].connectorId, '/providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps');
      assert.deepEqual(c.environmentVariables.map((e) => [e.schemaName, e.hasCurrentValue, e.type]), [['cnt_ApiUrl', true, '100000000'], ['cnt_Other', false, '100000000']]);
      assert.deepEqual(c.cloudFlows, [{ id: sample.flowId, name: 'Project | Sync', file: 'Workflows/ProjectSync-6F1C2B0A-1D2E-4F00-9A1B-00224805C837.json', connectionReferences: ['cnt_Second', 'cnt_SharedDataverse'] }]);
      assert.deepEqual(c.classicWorkflows.map((w) => w.name), ['Project Rule']);
      assert.deepEqual(c.webResources, ['cnt_/scripts/project.form.js']);
      assert.deepEqual(c.canvasApps, ['cnt_projects_1a2b3']);
      assert.deepEqual(c.connectors, ['cnt_contoso-20api']);
      assert.deepEqual(c.appModules, ['cnt_ProjectHub']);
      assert.equal(c.pluginAssemblies.length, 1);
    }
    assert.equal(fromZip.manifest.managed, 0);
  });

  it('describes a folder without Other/Customizations.xml as having no components instead of failing', async () => {
    const dir = temp.make();
    const sample = writeSampleSolutionFolder(path.join(dir, 'in'));
    fs.rmSync(path.join(sample.solutionRoot, 'Other', 'Customizations.xml'));
    const contents = await readSolutionFolder(sample.folder);
    assert.equal(contents.manifest.uniqueName, 'ContosoSample');
    assert.deepEqual([contents.entities, contents.connectionReferences, contents.cloudFlows], [[], [], []]);
  });

  it('reads flow connection references defensively', () => {
    assert.deepEqual(flowConnectionReferences('\uFEFF{"properties":{"connectionReferences":{"a":{"connection":{"connectionReferenceLogicalName":"x"}},"b":{}}}}'), ['x']);
    assert.deepEqual(flowConnectionReferences('not json'), []);
    assert.deepEqual(flowConnectionReferences('{"properties":null}'), []);
  });
});
