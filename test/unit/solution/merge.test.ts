import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { silentLogger } from '../../../shared/core';
import { FileIndex, listFiles } from '../../../shared/solution/fs-walk';
import { mergePackage, Variant } from '../../../shared/solution/pack-plan';
import { StringSink } from '../../../shared/solution/text-sink';
import { childElements, parseXml } from '../../../shared/solution/xml';
import { rejectsWith, TempDirs } from './helpers';

const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const DECL = '\uFEFF<?xml version="1.0" encoding="utf-8"?>\r\n';

function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

async function merge(root: string, variant: Variant = 'unmanaged'): Promise<string> {
  const sink = new StringSink();
  const plan = await mergePackage({ root, index: new FileIndex(root, await listFiles(root)), logger: silentLogger }, new Map([[variant, sink]]));
  assert.deepEqual(plan.missing, []);
  return sink.toString();
}

describe('merging a solution tree into customizations.xml', () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  const skeleton = `${DECL}<ImportExportXml ${XSI} OrganizationVersion="9.2">\r\n  <Entities />\r\n  <Roles></Roles>\r\n  <Languages>\r\n    <Language>1033</Language>\r\n  </Languages>\r\n</ImportExportXml>`;
  const entity = `${DECL}<Entity ${XSI}>\r\n  <Name LocalizedName="Project">cnt_project</Name>\r\n  <!-- kept -->\r\n  <EntityInfo><entity Name="cnt_project"><attributes /></entity></EntityInfo>\r\n  <FormXml />\r\n  <SavedQueries />\r\n  <RibbonDiffXml />\r\n</Entity>`;
  const form = (id: string, label: string) => `${DECL}<forms ${XSI}>\r\n  <systemform>\r\n    <formid>{${id}}</formid>\r\n    <LocalizedNames><LocalizedName description="${label}" languagecode="1033" /></LocalizedNames>\r\n  </systemform>\r\n</forms>`;

  function sample(): string {
    const root = temp.make();
    writeTree(root, {
      'Other/Customizations.xml': skeleton,
      'Other/Solution.xml': `<ImportExportXml><SolutionManifest /></ImportExportXml>`,
      'Entities/cnt_Project/Entity.xml': entity,
      'Entities/cnt_Project/FormXml/main/{11111111-1111-1111-1111-111111111111}.xml': form('11111111-1111-1111-1111-111111111111', 'Main'),
      'Entities/cnt_Project/FormXml/main/{11111111-1111-1111-1111-111111111111}_managed.xml': form('11111111-1111-1111-1111-111111111111', 'Main (managed)'),
      'Entities/cnt_Project/SavedQueries/{22222222-2222-2222-2222-222222222222}.xml':
        `${DECL}<savedqueries ${XSI}><savedquery><savedqueryid>{22222222-2222-2222-2222-222222222222}</savedqueryid><fetchxml><fetch><entity name="cnt_project" /></fetch></fetchxml></savedquery></savedqueries>`,
      'Entities/cnt_Project/RibbonDiff.xml': `${DECL}<RibbonDiffXml ${XSI}><CustomActions /></RibbonDiffXml>`,
      'OptionSets/cnt_status.xml': `${DECL}<optionset ${XSI} Name="cnt_status"><OptionSetType>picklist</OptionSetType><Description>a &amp; b &#xD;&#xA;c</Description></optionset>`,
    });
    return root;
  }

  it('fills the sections of Other/Customizations.xml in place and adds the missing ones before <Languages>', async () => {
    const out = await merge(sample());
    const doc = parseXml(out, 'customizations.xml');
    assert.deepEqual(childElements(doc).map((e) => e.name), ['Entities', 'Roles', 'optionsets', 'Languages']);
    assert.match(out, /^<ImportExportXml xmlns:xsi="http:\/\/www\.w3\.org\/2001\/XMLSchema-instance" OrganizationVersion="9\.2">\n/);
    assert.match(out, /\n {2}<Roles><\/Roles>\n/, 'a section nothing fills is written as it was');
    assert.equal(out.match(/xmlns:xsi=/g)?.length, 1, 'declared once, on the root only');
  });

  it('copies component files as written: comments, references and entity escapes are kept byte for byte', async () => {
    const out = await merge(sample());
    assert.ok(out.includes('  <!-- kept -->\r\n  <EntityInfo><entity Name="cnt_project"><attributes /></entity></EntityInfo>'));
    assert.ok(out.includes('<optionset Name="cnt_status"><OptionSetType>picklist</OptionSetType><Description>a &amp; b &#xD;&#xA;c</Description></optionset>'));
  });

  it('merges forms (grouped by type, the managed twin for the managed zip), views and the ribbon into <Entity>', async () => {
    for (const variant of ['unmanaged', 'managed'] as const) {
      const entityEl = childElements(childElements(parseXml(await merge(sample(), variant), 'c'), 'Entities')[0], 'Entity')[0];
      assert.deepEqual(childElements(entityEl).map((e) => e.name), ['Name', 'EntityInfo', 'FormXml', 'SavedQueries', 'RibbonDiffXml']);
      const [formXml, savedQueries, ribbon] = childElements(entityEl).slice(2);
      const group = childElements(formXml, 'forms');
      assert.deepEqual(group.map((g) => g.attrs), [[['type', 'main']]]);
      const label = childElements(childElements(childElements(group[0], 'systemform')[0], 'LocalizedNames')[0])[0].attrs[0][1];
      assert.equal(label, variant === 'managed' ? 'Main (managed)' : 'Main');
      assert.deepEqual(childElements(childElements(savedQueries, 'savedqueries')[0]).map((e) => e.name), ['savedquery']);
      assert.deepEqual(childElements(ribbon).map((e) => e.name), ['CustomActions']);
    }
  });

  it('appends the parts Entity.xml has no placeholder for, and keeps an entity without parts unchanged', async () => {
    const root = sample();
    writeTree(root, {
      'Entities/cnt_Project/Entity.xml': `<Entity><Name>cnt_project</Name></Entity>`,
      'Entities/cnt_Task/Entity.xml': `<Entity ${XSI}><Name>cnt_task</Name><FormXml><forms type="card" /></FormXml></Entity>`,
    });
    const entities = childElements(childElements(parseXml(await merge(root), 'c'), 'Entities')[0], 'Entity');
    assert.deepEqual(childElements(entities[0]).map((e) => e.name), ['Name', 'FormXml', 'SavedQueries', 'RibbonDiffXml']);
    assert.deepEqual(childElements(entities[1]).map((e) => e.name), ['Name', 'FormXml']);
    assert.deepEqual(childElements(childElements(entities[1], 'FormXml')[0]).map((e) => e.attrs), [[['type', 'card']]]);
  });

  it('writes both variants in one pass exactly as it writes each alone (managed twins, managed-only forms, app modules)', async () => {
    const root = sample();
    writeTree(root, {
      'Entities/cnt_Project/FormXml/quick/{33333333-3333-3333-3333-333333333333}_managed.xml': form('33333333-3333-3333-3333-333333333333', 'Managed only'),
      'AppModules/cnt_app/AppModule.xml': `${DECL}<AppModule ${XSI}><UniqueName>cnt_app</UniqueName><Descriptor>plain</Descriptor></AppModule>`,
      'AppModules/cnt_app/AppModule_managed.xml': `${DECL}<AppModule ${XSI}><UniqueName>cnt_app</UniqueName><Descriptor>managed</Descriptor></AppModule>`,
    });
    const sinks = new Map<Variant, StringSink>([['unmanaged', new StringSink()], ['managed', new StringSink()]]);
    await mergePackage({ root, index: new FileIndex(root, await listFiles(root)), logger: silentLogger }, sinks);
    const [unmanaged, managed] = [await merge(root, 'unmanaged'), await merge(root, 'managed')];
    assert.equal(sinks.get('unmanaged')?.toString(), unmanaged);
    assert.equal(sinks.get('managed')?.toString(), managed);
    assert.ok(managed.includes('Managed only') && !unmanaged.includes('Managed only'));
    assert.ok(managed.includes('<Descriptor>managed</Descriptor>') && unmanaged.includes('<Descriptor>plain</Descriptor>'));
    assert.ok(!managed.includes('<Descriptor>plain</Descriptor>') && !unmanaged.includes('<Descriptor>managed</Descriptor>'));
  });

  it('fills a section the skeleton lists twice only once, and says so', async () => {
    const root = sample();
    writeTree(root, { 'Other/Customizations.xml': skeleton.replace('<Roles></Roles>', '<optionsets /><OptionSets></OptionSets>') });
    const sink = new StringSink();
    const plan = await mergePackage({ root, index: new FileIndex(root, await listFiles(root)), logger: silentLogger }, new Map([['unmanaged', sink]]));
    assert.equal(sink.toString().match(/<optionset /g)?.length, 1);
    assert.deepEqual(plan.warnings, ['Other/Customizations.xml has a second <OptionSets> section; the components go into the first one and the second is kept as it is.']);
  });

  it('names the malformed component file and its line', async () => {
    const root = sample();
    writeTree(root, { 'Entities/cnt_Project/FormXml/main/{11111111-1111-1111-1111-111111111111}.xml': `<forms>\n<systemform>\n</forms>` });
    await rejectsWith(() => merge(root), /Entities\/cnt_Project\/FormXml\/main\/\{11111111-1111-1111-1111-111111111111\}\.xml is not well-formed XML: .*line 3/);
  });
});
