import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/paths';
import {
  ENDPOINT_TYPE_CONTRIBUTION, TASK_CONTRIBUTION, pngSize, readExtensionManifest, readTaskJson, taskFolders,
} from './manifest';

const NONE = 'ms.vss-endpoint.endpoint-auth-scheme-none';
const WIF = 'ms.vss-endpoint.endpoint-auth-scheme-workload-identity-federation';
const MSI = 'ms.vss-endpoint.endpoint-auth-scheme-managed-service-identity';

interface InputDescriptor { id: string; isConfidential?: boolean; inputMode?: string; validation?: { isRequired?: boolean } }
interface AuthScheme { type: string; displayName?: string; inputDescriptors?: InputDescriptor[] }

describe('packaging: vss-extension.json', () => {
  const manifest = readExtensionManifest();
  const root = repoRoot();

  it('has the gallery metadata: publisher, id, version, category, icon and overview', () => {
    assert.equal(manifest.publisher, 'dataverse-alm');
    assert.match(manifest.id, /^[a-z0-9-]+$/);
    assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
    assert.deepEqual(manifest.categories, ['Azure Pipelines']);
    assert.deepEqual(pngSize(path.join(root, manifest.icons.default)), { width: 128, height: 128 });
    const overview = fs.readFileSync(path.join(root, manifest.content.details.path), 'utf8');
    assert.ok(overview.length > 500, 'overview.md is too short for a marketplace page');
  });

  it('has exactly one task contribution per task folder, each folder listed under files', () => {
    const taskContributions = manifest.contributions.filter((c) => c.type === TASK_CONTRIBUTION);
    assert.deepEqual(taskContributions.map((c) => c.properties.name).sort(), taskFolders().map((f) => `tasks/${f}`));
    for (const c of taskContributions) {
      assert.deepEqual(c.targets, ['ms.vss-distributed-task.tasks']);
      const name = String(c.properties.name);
      assert.ok(manifest.files.some((f) => name === f.path || name.startsWith(`${f.path}/`)), `${name} is not under files`);
    }
    const ids = manifest.contributions.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, 'contribution ids are unique');
  });

  it('contributes the dataverse-alm service connection type with the three schemes of design.md §6', () => {
    const endpoints = manifest.contributions.filter((c) => c.type === ENDPOINT_TYPE_CONTRIBUTION);
    assert.equal(endpoints.length, 1);
    const props = endpoints[0].properties as { name: string; displayName: string; authenticationSchemes: AuthScheme[] };
    assert.deepEqual(endpoints[0].targets, ['ms.vss-endpoint.endpoint-types']);
    assert.equal(props.name, 'dataverse-alm');
    assert.equal(props.displayName, 'Dataverse environment');
    assert.deepEqual(props.authenticationSchemes.map((s) => s.type), [NONE, WIF, MSI]);

    const none = props.authenticationSchemes[0];
    assert.equal(none.displayName, 'App registration (client secret or certificate)');
    const byId = new Map((none.inputDescriptors ?? []).map((d) => [d.id, d]));
    assert.deepEqual([...byId.keys()], ['tenantId', 'applicationId', 'clientSecret', 'certificate', 'authorityHost']);
    assert.equal(byId.get('clientSecret')?.isConfidential, true);
    assert.equal(byId.get('certificate')?.isConfidential, true);
    assert.equal(byId.get('tenantId')?.validation?.isRequired, true);
    assert.equal(byId.get('applicationId')?.validation?.isRequired, true);
    assert.equal(byId.get('clientSecret')?.validation?.isRequired, false, 'secret or certificate: neither is required alone');
    assert.equal(byId.get('certificate')?.validation?.isRequired, false);
    assert.equal(byId.get('authorityHost')?.validation?.isRequired, false);

    const msiInputs = (props.authenticationSchemes[2].inputDescriptors ?? []).map((d) => d.id);
    assert.ok(msiInputs.includes('clientId'), 'managed identity takes an optional user-assigned client id');
    for (const scheme of props.authenticationSchemes) {
      for (const d of scheme.inputDescriptors ?? []) {
        if (d.id !== 'clientSecret' && d.id !== 'certificate') assert.notEqual(d.isConfidential, true, `${d.id} is not a secret`);
      }
    }
  });

  it('every task that takes a connection asks for the dataverse-alm type by its contract input names', () => {
    for (const folder of taskFolders()) {
      const inputs = readTaskJson(folder).inputs ?? [];
      const connection = inputs.find((i) => i.type.startsWith('connectedService:'));
      if (!connection) continue;
      assert.equal(connection.name, 'connection', `${folder}: the service connection input is named 'connection'`);
      assert.equal(connection.type, 'connectedService:dataverse-alm');
      assert.ok(inputs.some((i) => i.name === 'environmentUrl'), `${folder}: has the environmentUrl override`);
    }
  });

  it('every task icon is a PNG', () => {
    for (const folder of taskFolders()) {
      const size = pngSize(path.join(root, 'tasks', folder, 'icon.png'));
      assert.ok(size && size.width === size.height && size.width >= 32, `tasks/${folder}/icon.png is not a square PNG ≥ 32 px`);
    }
  });
});
