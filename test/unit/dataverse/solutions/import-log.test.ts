import * as assert from 'node:assert/strict';
import {
  componentIssues, componentTypeName, describeImportFailure, describeImportWarnings, ImportLogParseError, missingDependencyAdvice,
  parseImportJobLog, parseSolutionReference,
} from '../../../../shared/dataverse';

/** The observed importjob.data shape (protocol.md §4.2): a manifest result plus one section per component kind. */
const FAILED_LOG = `<?xml version="1.0" encoding="utf-16"?>
<importexportxml start="638650000000000000" stop="638650000100000000" progress="100" processed="true" succeeded="false">
  <solutionManifests>
    <solutionManifest languagecode="1033" id="Contoso" LocalizedName="Contoso &amp; Co" processed="true">
      <UniqueName>Contoso</UniqueName>
      <LocalizedNames><LocalizedName description="Contoso &amp; Co" languagecode="1033" /></LocalizedNames>
      <Version>1.2.0.0</Version>
      <Managed>1</Managed>
      <result result="failure" errorcode="0x80048033" errortext="The import of solution: Contoso failed. Missing dependencies." datetimeticks="638650000100000000" />
      <MissingDependencies>
        <MissingDependency>
          <Required type="1" schemaName="new_project" displayName="Project" solution="ProjectCore (1.0.0.3)" />
          <Dependent type="60" schemaName="{b0f6c3f2-0000-4000-8000-000000000001}" displayName="Main form" parentSchemaName="cts_task" />
        </MissingDependency>
      </MissingDependencies>
    </solutionManifest>
  </solutionManifests>
  <entities>
    <entity id="cts_task" LocalizedName="Task" OriginalName="Task" processed="true">
      <result result="success" errorcode="0" errortext="" datetimeticks="638650000050000000" />
    </entity>
  </entities>
  <nodes />
  <workflows>
    <workflow id="{11111111-1111-4111-8111-111111111111}" name="Notify owner" processed="true">
      <result result="warning" errorcode="0x80060467" errortext="The flow was imported but not activated." />
    </workflow>
  </workflows>
  <webResources>
    <webResource id="cts_/scripts/form.js" LocalizedName="cts_/scripts/form.js" processed="true">
      <result result="failure" errorcode="0x8004F016" errortext="Web resource content is not valid base64 &quot;cts_/scripts/form.js&quot;." />
    </webResource>
  </webResources>
</importexportxml>`;

describe('import job log (importjob.data)', () => {
  it('reads the manifest verdict, every component result, and the missing dependencies', () => {
    const log = parseImportJobLog(FAILED_LOG);
    assert.equal(log.outcome, 'failure');
    assert.equal(log.processed, true);
    assert.equal(log.succeeded, false);
    assert.equal(log.progress, 100);
    assert.deepEqual(log.solution, {
      uniqueName: 'Contoso', friendlyName: 'Contoso & Co', version: '1.2.0.0', managed: true, processed: true,
      result: { result: 'failure', errorCode: '0x80048033', errorText: 'The import of solution: Contoso failed. Missing dependencies.' },
    });
    assert.deepEqual(log.components.map((c) => [c.section, c.element, c.name, c.result, c.errorCode]), [
      ['entities', 'entity', 'Task', 'success', undefined],
      ['workflows', 'workflow', 'Notify owner', 'warning', '0x80060467'],
      ['webResources', 'webResource', 'cts_/scripts/form.js', 'failure', '0x8004F016'],
    ]);
    assert.equal(log.components[2].errorText, 'Web resource content is not valid base64 "cts_/scripts/form.js".');
    assert.deepEqual(log.missingDependencies, [{
      required: { type: '1', schemaName: 'new_project', displayName: 'Project', solution: 'ProjectCore (1.0.0.3)', id: undefined, parentSchemaName: undefined, parentDisplayName: undefined },
      dependent: { type: '60', schemaName: '{b0f6c3f2-0000-4000-8000-000000000001}', displayName: 'Main form', solution: undefined, id: undefined, parentSchemaName: 'cts_task', parentDisplayName: undefined },
    }]);
  });

  it('turns a failed log into a specific message: dependency, where it comes from, what to install, failed components', () => {
    const message = describeImportFailure(parseImportJobLog(FAILED_LOG));
    const lines = message.split('\n');
    assert.equal(lines[0],
      "Import of Contoso 1.2.0.0 failed: missing dependency: table 'new_project' (\"Project\", type 1) from solution 'ProjectCore (1.0.0.3)' " +
      "required by form 'Main form' (type 60) of 'cts_task' — install ProjectCore 1.0.0.3 or later first, " +
      'then import Contoso again.');
    assert.equal(lines[1], 'Server message: The import of solution: Contoso failed. Missing dependencies. (0x80048033)');
    assert.equal(lines[2], 'Failed components:');
    assert.match(lines[3], /webResource 'cts_\/scripts\/form\.js': Web resource content is not valid base64 .* \(0x8004F016\)/);
  });

  it('a manifest success can carry component failures and warnings', () => {
    const xml = FAILED_LOG.replace('result="failure" errorcode="0x80048033"', 'result="success" errorcode="0"').replace(/<MissingDependencies>[\s\S]*<\/MissingDependencies>/, '<MissingDependencies />');
    const log = parseImportJobLog(xml);
    assert.equal(log.outcome, 'success');
    const issues = componentIssues(log);
    assert.equal(issues.failures.length, 1);
    assert.equal(issues.warnings.length, 1);
    assert.deepEqual(describeImportWarnings(log), ["workflow 'Notify owner': The flow was imported but not activated. (0x80060467)"]);
  });

  it('lists several missing dependencies and groups the advice per required solution (highest version)', () => {
    const md = (type: string, name: string, solution: string) =>
      `<MissingDependency><Required type="${type}" schemaName="${name}" solution="${solution}" /><Dependent type="2" schemaName="cts_x" parentSchemaName="cts_task" /></MissingDependency>`;
    const xml = `<importexportxml processed="true" succeeded="false"><solutionManifests><solutionManifest><UniqueName>Contoso</UniqueName><Version>2.0.0.0</Version>
      <result result="failure" errorcode="0x80048033" errortext="Missing" /><MissingDependencies>${md('1', 'new_a', 'ProjectCore (1.0.0.3)')}${md('9', 'new_b', 'ProjectCore (1.2.0.0)')}
      ${md('61', 'new_/x.js', 'Active')}${md('24', 'form1', '')}</MissingDependencies></solutionManifest></solutionManifests></importexportxml>`;
    const message = describeImportFailure(parseImportJobLog(xml));
    assert.match(message, /^Import of Contoso 2\.0\.0\.0 failed: 4 missing dependencies:\n {2}- table 'new_a' \(type 1\) from solution 'ProjectCore \(1\.0\.0\.3\)' required by column 'cts_x' \(type 2\) of 'cts_task'/);
    assert.match(message, /- choice \(option set\) 'new_b' \(type 9\)/);
    assert.match(message, /- form 'form1' \(type 24\) required by/);
    assert.match(message, /install ProjectCore 1\.2\.0\.0 or later first; create the components marked 'Active'.*; install the solutions that provide the other required components, then import Contoso again\./);
  });

  it('without a manifest result, falls back to the root flags; an unfinished log is unknown', () => {
    assert.equal(parseImportJobLog('<importexportxml processed="true" succeeded="true"><solutionManifests /></importexportxml>').outcome, 'success');
    assert.equal(parseImportJobLog('<importexportxml processed="true" succeeded="false" />').outcome, 'failure');
    const running = parseImportJobLog('<importexportxml progress="42.5" processed="false" succeeded="false"><solutionManifests><solutionManifest id="X" processed="false"><UniqueName>X</UniqueName></solutionManifest></solutionManifests></importexportxml>');
    assert.equal(running.outcome, 'unknown');
    assert.equal(running.progress, 42.5);
  });

  it('reads the deleted components an upgrade lists', () => {
    const log = parseImportJobLog('<importexportxml processed="true" succeeded="true"><solutionManifests><solutionManifest><result result="success" /></solutionManifest></solutionManifests>' +
      '<deletedComponents><component type="61" schemaName="cts_/old.js" /></deletedComponents></importexportxml>');
    assert.deepEqual(log.deletedComponents, [{ type: '61', schemaName: 'cts_/old.js', id: undefined }]);
  });

  it('refuses DTDs, malformed XML and other documents', () => {
    assert.throws(() => parseImportJobLog('<!DOCTYPE x [<!ENTITY e "boom">]><importexportxml>&e;</importexportxml>'), ImportLogParseError);
    assert.throws(() => parseImportJobLog('<importexportxml><a></importexportxml>'), /not well-formed/);
    assert.throws(() => parseImportJobLog('<Workbook />'), /expected <importexportxml>/);
  });

  it('names component types and solution references', () => {
    assert.equal(componentTypeName('1'), 'table');
    assert.equal(componentTypeName(60), 'form');
    assert.equal(componentTypeName('10112'), 'component type 10112');
    assert.equal(componentTypeName('connectionreference'), 'connectionreference');
    assert.deepEqual(parseSolutionReference('ProjectCore (1.0.0.3)'), { name: 'ProjectCore', version: '1.0.0.3' });
    assert.deepEqual(parseSolutionReference('Active'), { name: 'Active' });
    assert.equal(missingDependencyAdvice([{ required: { solution: 'A (1.0)' }, dependent: {} }]), 'install A 1.0 or later first');
  });
});
