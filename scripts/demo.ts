/**
 * `npm run demo`: the dev → test → prod flow against the local emulator, run as a pipeline would run it.
 * Each step says whether it is a real bundled task (run as its own node process with the agent's
 * environment variables) or something this repository does not have as a task yet.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, startEmulator } from '../emulator';
import { createTokenProvider } from '../shared/auth';
import { DataverseClient, importSolution, listSolutions } from '../shared/dataverse';
import { createDevOpsClient, waitForApproval } from '../shared/devops';
import { createHttpClient } from '../shared/http';
import { writeSampleSolutionFolder } from '../test/fixtures/solution/sample-solution';
import { buildExtension } from './build';
import { agentEnvironment, makeWorkDir, runBundledTask } from './demo/agent';

const root = path.resolve(__dirname, '..');
const DATAVERSE_CONNECTOR = '/providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps';
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

function heading(text: string): void {
  console.log(`\n=== ${text}`);
}

async function main(): Promise<void> {
  heading('Build: bundling the tasks with esbuild');
  const tasks = await buildExtension();
  console.log(`  bundled: ${tasks.join(', ') || '(no task folders yet)'}`);

  heading('Emulator: Entra ID, IMDS, Azure DevOps and Dataverse (dev, test, prod) on 127.0.0.1');
  // timeScale 0.5: imports take a visible second or two.
  const emulator = await startEmulator({
    port: 0,
    quiet: true,
    seed: {
      environments: ['dev', 'test', 'prod'].map((name) => ({
        name,
        timeScale: 0.5,
        // A Dataverse connection the deploying app registration owns, as an admin would create per environment.
        connections: [{ id: `conn-dataverse-${name}`, connectorId: DATAVERSE_CONNECTOR, displayName: `Dataverse (${name})`, owner: DEFAULTS.clientId }],
      })),
    },
  });
  const info = emulator.info;
  console.log(`  listening on ${emulator.url}`);
  for (const [name, url] of Object.entries(info.environments)) console.log(`  environment ${name.padEnd(5)} ${url}`);

  let failed = false;
  const workDir = makeWorkDir();
  let http: ReturnType<typeof createHttpClient>;
  let tokens: ReturnType<typeof createTokenProvider>;
  try {
    heading('Connection check through the shared library (token from Entra, then WhoAmI), per environment');
    http = createHttpClient({ productVersion: version });
    tokens = createTokenProvider(
      { kind: 'clientSecret', authorityHost: info.authorityHost, tenantId: info.tenantId, clientId: info.clientId, clientSecret: info.clientSecret ?? '' },
      { http },
    );
    for (const [name, url] of Object.entries(info.environments)) {
      const client = new DataverseClient({ environmentUrl: url, tokenProvider: tokens, http });
      const me = await client.whoAmI();
      console.log(`  ${name.padEnd(5)} WhoAmI → user ${me.UserId}, organization ${me.OrganizationId}`);
    }

    heading('Source control: the unpacked solution (what export-solution will write; that task is not built yet)');
    const sample = writeSampleSolutionFolder(path.join(workDir, 's', 'solutions', 'ContosoSample'), { layout: 'project', managed: 2 });
    console.log(`  ${path.relative(workDir, sample.folder)}: pac project layout, ${sample.uniqueName} ${sample.version}`);

    heading('Task DataversePackSolution@1 (bundled, run as the agent runs it)');
    const pack = await runBundledTask(path.join(root, 'dist', 'extension', 'tasks', 'pack-version', 'index.js'), agentEnvironment({
      sourceFolder: sample.folder,
      packageType: 'both',
      version: '*.*.4711.0',
      outputFolder: path.join(workDir, 'a', 'solutions'),
    }, [], workDir));
    if (!pack.ok) throw new Error('pack-version failed');
    console.log('  (version input was *.*.$(Build.BuildId).0 with Build.BuildId = 4711, expanded by the agent)');
    const managedZip = pack.outputs.managedSolutionFile;

    for (const stage of ['test', 'prod']) {
      if (stage === 'prod') await approveProduction(emulator.url, info.devopsCollectionUri, info.devopsProjects[0], info.devopsAccessToken, result0(pack.outputs));
      heading(`Deploy managed to ${stage} (deploy-managed task not built yet: shared library importSolution, as that task will call it)`);
      const client = new DataverseClient({ environmentUrl: info.environments[stage], tokenProvider: tokens, http });
      let lastPercent = -1;
      const result = await importSolution(client, {
        zipPath: managedZip,
        overwriteUnmanagedCustomizations: false,
        publishWorkflows: true,
        // Per-environment settings, as a deployment settings file would give them (protocol.md §5.2).
        componentParameters: [
          { '@odata.type': 'Microsoft.Dynamics.CRM.connectionreference', connectionreferencelogicalname: 'cnt_SharedDataverse', connectionid: `conn-dataverse-${stage}`, connectorid: DATAVERSE_CONNECTOR },
          { '@odata.type': 'Microsoft.Dynamics.CRM.environmentvariablevalue', schemaname: 'cnt_ApiUrl', value: `https://api.contoso.com/${stage}` },
        ],
        onProgress: (p) => {
          const percent = p.percent === undefined ? undefined : Math.floor(p.percent / 25) * 25;
          if (percent !== undefined && percent !== lastPercent) { lastPercent = percent; console.log(`    ${p.operation}: ${p.status} ${percent}%`); }
        },
      });
      console.log(`  imported ${result.uniqueName} ${result.version} (managed: ${result.managed}); import job ${result.importJobId}`);
      console.log(`  connection reference cnt_SharedDataverse → conn-dataverse-${stage}; cnt_ApiUrl = https://api.contoso.com/${stage}`);
      for (const w of result.warnings) console.log(`  warning: ${w}`);
      const installed = (await listSolutions(client)).filter((sol) => sol.uniquename === result.uniqueName);
      for (const sol of installed) console.log(`  ${stage}: ${sol.uniquename} ${sol.version} managed=${sol.ismanaged}`);
    }
  } catch (err) {
    failed = true;
    console.error(`  FAILED: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await emulator.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  heading(failed ? 'Demo failed' : 'Demo finished');
  process.exit(failed ? 1 : 0);
}

function result0(outputs: Record<string, string>): string {
  return `${outputs.solutionName} ${outputs.solutionVersion}`;
}

/**
 * The approval gate before Production, through the shared Azure DevOps client (the approval-wait task is not
 * built yet): a work item is created, a release manager approves it (simulated through the emulator's control
 * API two seconds later), and the wait loop sees the decision.
 */
async function approveProduction(baseUrl: string, collectionUrl: string, project: string, accessToken: string, what: string): Promise<void> {
  heading('Approval before Production (approval-wait task not built yet: shared library, work item in Azure Boards)');
  const devops = createDevOpsClient({ collectionUrl, project, accessToken, productVersion: version });
  const item = await devops.createApprovalWorkItem({ title: `Approve deployment of ${what} to Production`, tags: ['dataverse-alm', 'approval'] });
  console.log(`  work item ${item.id} '${item.title}' created (${item.state}); waiting for a decision`);
  setTimeout(() => {
    void fetch(`${baseUrl}/_emulator/devops/workitems/${item.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ state: 'Closed', comment: 'Test sign-off done, go ahead.', changedBy: 'Release Manager <rm@contoso.com>' }),
    });
  }, 2000);
  const outcome = await waitForApproval(devops, {
    workItemId: item.id, approvedStates: ['Closed'], rejectedStates: ['Removed'], timeoutMs: 60_000, pollIntervalMs: 1000,
  });
  if (outcome.decision !== 'granted') throw new Error(`approval ${outcome.decision}`);
  console.log(`  approved by ${outcome.decidedBy?.displayName ?? 'unknown'}${outcome.latestComment ? `: "${outcome.latestComment.text}"` : ''}`);
}

void main();
