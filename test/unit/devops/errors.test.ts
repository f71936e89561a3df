import * as assert from 'node:assert/strict';
import { UserError } from '../../../shared/core';
import {
  approvalPatch, createDevOpsClient, DevOpsError, htmlToText, organizationName, requestOptions, toDevOpsError, type FailureContext,
} from '../../../shared/devops';
import { personField } from '../../../shared/devops/work-item-fields';

const context: FailureContext = {
  operation: 'creating the approval work item (type \'Task\')',
  collectionUrl: 'https://dev.azure.com/contoso/',
  project: 'Fabrikam',
  areaPath: 'Fabrikam\\Releases',
  permission: 'edit',
};

function statusError(statusCode: number, result?: unknown): Error {
  return Object.assign(new Error(`Failed request: (${statusCode})`), { statusCode, result });
}

describe('devops: error messages', () => {
  it('401 says the job access token was not accepted and how to pass it', () => {
    const err = toDevOpsError(statusError(401), context);
    assert.ok(err instanceof DevOpsError && err instanceof UserError);
    assert.equal(err.status, 401);
    assert.match(err.message, /^Azure DevOps refused creating the approval work item \(type 'Task'\) in project 'Fabrikam': HTTP 401\./);
    assert.match(err.message, /System\.AccessToken/);
  });

  it('403 names the build service identities, the permission and the area to grant it in', () => {
    const body = { message: 'TF237111: The current user does not have permissions to save work items under the specified area path.' };
    const err = toDevOpsError(statusError(403, body), context);
    assert.match(err.message, /HTTP 403 — TF237111: The current user does not have permissions/);
    assert.match(err.message, /cannot create or edit work items: allow 'Project Collection Build Service \(contoso\)' \(or 'Fabrikam Build Service \(contoso\)'/);
    assert.match(err.message, /"Edit work items in this node".*in area 'Fabrikam\\Releases'/);

    const read = toDevOpsError(statusError(403), { ...context, operation: 'reading work item 4', permission: 'view', areaPath: undefined });
    assert.match(read.message, /cannot read work items: .*"View work items in this node" in area 'Fabrikam'/);
  });

  it('network failures and timeouts point at the network and proxy; other errors pass through unchanged', () => {
    const network = toDevOpsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), context);
    assert.match(network.message, /Could not reach Azure DevOps at https:\/\/dev\.azure\.com while creating .*\(ECONNREFUSED\).*proxy/);
    assert.match(toDevOpsError(new Error('Request timeout: /x'), context).message, /did not answer in time/);
    const bug = new TypeError('boom');
    assert.equal(toDevOpsError(bug, context), bug);
  });

  it('finds the organization name in the collection URL forms', () => {
    assert.equal(organizationName('https://dev.azure.com/contoso/'), 'contoso');
    assert.equal(organizationName('https://contoso.visualstudio.com/'), 'contoso');
    assert.equal(organizationName('https://tfs.corp.local/tfs/DefaultCollection/'), 'DefaultCollection');
  });
});

describe('devops: request building', () => {
  it('maps the agent proxy settings (shared/http ProxySettings) onto node-api request options, with its own retries off', () => {
    assert.deepEqual(requestOptions({ proxy: { url: 'http://proxy:8080', username: 'u', password: 'p', bypass: ['\\.corp$'] }, caFile: '/ca.pem', timeoutMs: 5_000 }), {
      socketTimeout: 5_000,
      allowRetries: false,
      proxy: { proxyUrl: 'http://proxy:8080', proxyUsername: 'u', proxyPassword: 'p', proxyBypassHosts: ['\\.corp$'] },
      cert: { caFile: '/ca.pem' },
    });
    assert.deepEqual(requestOptions({}), { socketTimeout: 100_000, allowRetries: false });
  });

  it('builds the approval work item patch: fields, HTML description with links, build artifact link and run hyperlink', () => {
    const patch = approvalPatch({
      title: '  Approve Contoso 1.2.0.0 to Production ',
      description: 'Solution <Contoso> passed the checker.\nDeployed to Test.',
      links: [{ label: 'Checker report', url: 'https://example.test/report?a=1&b=2' }],
      assignedTo: 'ada@contoso.com',
      areaPath: 'Fabrikam\\Releases',
      tags: ['dataverse', ' approval ', ''],
      buildId: 42,
      runUrl: 'https://dev.azure.com/contoso/Fabrikam/_build/results?buildId=42',
    });
    const byPath = (path: string): unknown[] => patch.filter((p) => p.path === path).map((p) => p.value);
    assert.deepEqual(byPath('/fields/System.Title'), ['Approve Contoso 1.2.0.0 to Production']);
    assert.deepEqual(byPath('/fields/System.AssignedTo'), ['ada@contoso.com']);
    assert.deepEqual(byPath('/fields/System.AreaPath'), ['Fabrikam\\Releases']);
    assert.deepEqual(byPath('/fields/System.Tags'), ['dataverse; approval']);
    const [description] = byPath('/fields/System.Description') as string[];
    assert.equal(description,
      '<div>Solution &lt;Contoso&gt; passed the checker.</div><div>Deployed to Test.</div>' +
      '<ul><li><a href="https://dev.azure.com/contoso/Fabrikam/_build/results?buildId=42">Pipeline run</a></li>' +
      '<li><a href="https://example.test/report?a=1&amp;b=2">Checker report</a></li></ul>');
    assert.deepEqual(byPath('/relations/-'), [
      { rel: 'ArtifactLink', url: 'vstfs:///Build/Build/42', attributes: { name: 'Build' } },
      { rel: 'Hyperlink', url: 'https://dev.azure.com/contoso/Fabrikam/_build/results?buildId=42', attributes: { comment: 'Pipeline run' } },
    ]);
    assert.ok(patch.every((p) => p.op === 'add'));
  });

  it('refuses a plain http:// collection URL (except loopback) and a missing access token', () => {
    const base = { project: 'Fabrikam', accessToken: 'token', productVersion: '1.0.0' };
    assert.throws(() => createDevOpsClient({ ...base, collectionUrl: 'http://tfs.corp.local/DefaultCollection/' }), /must use https:\/\//);
    assert.throws(() => createDevOpsClient({ ...base, collectionUrl: 'https://dev.azure.com/contoso/', accessToken: '' }), /No Azure DevOps access token/);
    assert.equal(createDevOpsClient({ ...base, collectionUrl: 'http://127.0.0.1:7071/devops/' }).project, 'Fabrikam');
  });

  it('refuses an empty title before calling anything', () => {
    assert.throws(() => approvalPatch({ title: '  ' }), /needs a title/);
  });
});

describe('devops: reading work item values', () => {
  it('reads identities as objects or "Name <unique>" strings', () => {
    assert.deepEqual(personField({ displayName: 'Ada', uniqueName: 'ada@contoso.com', id: 'x' }), { displayName: 'Ada', uniqueName: 'ada@contoso.com' });
    assert.deepEqual(personField('Grace Hopper <grace@contoso.com>'), { displayName: 'Grace Hopper', uniqueName: 'grace@contoso.com' });
    assert.deepEqual(personField('grace@contoso.com'), { displayName: 'grace@contoso.com' });
    assert.equal(personField(''), undefined);
    assert.equal(personField(42), undefined);
  });

  it('turns comment HTML into plain text', () => {
    assert.equal(htmlToText('<div>Rejected: &lt;b&gt; tag &amp; more</div><div>see <a href="x">log</a></div>'), 'Rejected: <b> tag & more\nsee log');
  });
});
