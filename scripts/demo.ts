/**
 * `npm run demo`: the governed dev → test → prod flow against the local emulator — export from Dev, checker
 * gate, pack and version, deploy managed to Test, approval, deploy managed to Production — run as a pipeline
 * would run it. Each step says whether it is a real bundled task (its own node process with the agent's
 * environment variables) or a shared-library operation whose task is not built yet.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, startEmulator } from '../emulator';
import { createTokenProvider } from '../shared/auth';
import { CheckerClient } from '../shared/checker';
import { DataverseClient } from '../shared/dataverse';
import { createDevOpsClient } from '../shared/devops';
import { createHttpClient } from '../shared/http';
import { checkSolution } from '../shared/operations/checkSolution';
import { deploySolution } from '../shared/operations/deploySolution';
import { exportSolution } from '../shared/operations/exportSolution';
import { waitForApproval } from '../shared/operations/waitForApproval';
import { writeSampleSolutionZip } from '../test/fixtures/solution/sample-solution';
import { buildExtension } from './build';
import { agentEnvironment, makeWorkDir, runBundledTask } from './demo/agent';
import { consoleReporter } from './demo/console-reporter';

const root = path.resolve(__dirname, '..');
const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const DATAVERSE_CONNECTOR = '/providers/Microsoft.PowerApps/apis/shared_commondataserviceforapps';
const NOT_A_TASK = 'task not built yet: the shared-library operation it will call';

function heading(text: string): void {
  console.log(`\n=== ${text}`);
}

/** A pac deployment settings file for one environment (the format `pac solution create-settings` writes). */
function writeSettings(file: string, stage: string): void {
  fs.writeFileSync(file, JSON.stringify({
    EnvironmentVariables: [{ SchemaName: 'cnt_ApiUrl', Value: `https://api.contoso.com/${stage}` }],
    ConnectionReferences: [{ LogicalName: 'cnt_SharedDataverse', ConnectionId: `conn-dataverse-${stage}`, ConnectorId: DATAVERSE_CONNECTOR }],
  }, null, 2));
}

async function main(): Promise<void> {
  heading('Build: bundling the tasks with esbuild');
  const tasks = await buildExtension();
  console.log(`  bundled: ${tasks.join(', ') || '(no task folders yet)'}`);

  const workDir = makeWorkDir();
  const makerZip = path.join(workDir, 'maker', 'ContosoSample_1_2_3_4.zip');
  fs.mkdirSync(path.dirname(makerZip), { recursive: true });
  await writeSampleSolutionZip(makerZip, { uniqueName: 'ContosoSample', version: '1.2.3.4' });

  heading('Emulator: Entra ID, IMDS, Azure DevOps, Power Apps checker and Dataverse (dev, test, prod) on 127.0.0.1');
  const emulator = await startEmulator({
    port: 0,
    quiet: true,
    seed: {
      environments: ['dev', 'test', 'prod'].map((name) => ({
        name,
        timeScale: 0.5, // operations take a visible second or two
        // Dev holds the maker's unmanaged solution; every environment has a Dataverse connection the deploying
        // app registration owns, as an admin would create per environment.
        ...(name === 'dev' ? { solutions: [{ zip: makerZip }] } : {}),
        connections: [{ id: `conn-dataverse-${name}`, connectorId: DATAVERSE_CONNECTOR, displayName: `Dataverse (${name})`, owner: DEFAULTS.clientId }],
      })),
      checker: { statusPolls: 1, outcome: 'Finished' },
    },
  });
  const info = emulator.info;
  console.log(`  listening on ${emulator.url}`);
  for (const [name, url] of Object.entries(info.environments)) console.log(`  environment ${name.padEnd(5)} ${url}`);

  let failed = false;
  const http = createHttpClient({ productVersion: version });
  const tokens = createTokenProvider(
    { kind: 'clientSecret', authorityHost: info.authorityHost, tenantId: info.tenantId, clientId: info.clientId, clientSecret: info.clientSecret ?? '' },
    { http },
  );
  const dataverse = (stage: string) => new DataverseClient({ environmentUrl: info.environments[stage], tokenProvider: tokens, http });
  try {
    heading('Connection check through the shared library (token from Entra, then WhoAmI), per environment');
    for (const name of Object.keys(info.environments)) {
      const me = await dataverse(name).whoAmI();
      console.log(`  ${name.padEnd(5)} WhoAmI → user ${me.UserId}, organization ${me.OrganizationId}`);
    }

    const source = path.join(workDir, 's', 'solutions', 'ContosoSample');
    heading(`Export from Dev and unpack to source control (export-solution ${NOT_A_TASK})`);
    const exported = await exportSolution({
      solutionName: 'ContosoSample', packageType: 'both', outputFolder: path.join(workDir, 'a', 'export'), unpackFolder: source,
      settingsFile: path.join(source, '..', 'ContosoSample.settings.json'),
    }, { client: dataverse('dev') }, consoleReporter());

    heading(`Solution checker gate: fail on any Critical or High finding (solution-checker ${NOT_A_TASK})`);
    const checker = new CheckerClient({ checkerUrl: info.checkerUrl, tenantId: info.tenantId, tokenProvider: tokens, http });
    const gate = await checkSolution({
      files: [exported.unmanagedSolutionFile ?? ''], outputFolder: path.join(workDir, 'a', 'CodeAnalysisLogs'),
      gate: { maxPerSeverity: { critical: 0, high: 0 } }, pollIntervalMs: 500,
    }, { checker }, consoleReporter());
    if (!gate.passed) throw new Error(`checker gate failed: ${gate.message}`);

    heading('Task DataversePackSolution@1: pack the source folder and stamp the version (bundled, run as the agent runs it)');
    const pack = await runBundledTask(path.join(root, 'dist', 'extension', 'tasks', 'pack-version', 'index.js'), agentEnvironment({
      sourceFolder: source,
      packageType: 'both',
      version: '*.*.4711.0', // the YAML says *.*.$(Build.BuildId).0; the agent expands it (Build.BuildId = 4711)
      outputFolder: path.join(workDir, 'a', 'solutions'),
    }, [], workDir));
    if (!pack.ok) throw new Error('pack-version failed');
    const managedZip = pack.outputs.managedSolutionFile;

    for (const stage of ['test', 'prod']) {
      if (stage === 'prod') {
        heading(`Approval before Production: a work item in Azure Boards (approval-wait ${NOT_A_TASK})`);
        await approveProduction(emulator.url, info.devopsCollectionUri, info.devopsProjects[0], info.devopsAccessToken,
          pack.outputs.solutionName, pack.outputs.solutionVersion);
      }
      heading(`Deploy managed to ${stage} with its deployment settings (deploy-managed ${NOT_A_TASK})`);
      const settingsFile = path.join(workDir, `${stage}.settings.json`);
      writeSettings(settingsFile, stage);
      const deployed = await deploySolution({ solutionFile: managedZip, settingsFile }, { client: dataverse(stage) }, consoleReporter());
      console.log(`  → ${deployed.action} ${deployed.solutionName} ${deployed.fromVersion ?? '(new)'} → ${deployed.toVersion}`);
    }

    heading(`Run the Production deployment again: same version, nothing to do (deploy-managed ${NOT_A_TASK})`);
    const again = await deploySolution({ solutionFile: managedZip }, { client: dataverse('prod') }, consoleReporter());
    console.log(`  → ${again.action}${again.skipReason ? `: ${again.skipReason}` : ''}`);
  } catch (err) {
    failed = true;
    console.error(`  FAILED: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await emulator.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  heading(failed ? 'Demo failed' : 'Demo finished: Dev → checker → pack → Test → approval → Production');
  process.exit(failed ? 1 : 0);
}

/** A release manager approves the work item two seconds after it is created (through the emulator's control API). */
async function approveProduction(baseUrl: string, collectionUrl: string, project: string, accessToken: string, name: string, solutionVersion: string): Promise<void> {
  const devops = createDevOpsClient({ collectionUrl, project, accessToken, productVersion: version });
  const approver = setInterval(() => {
    void (async () => {
      const items = await (await fetch(`${baseUrl}/_emulator/devops/workitems`)).json() as { id: number; state?: string; fields?: Record<string, unknown> }[];
      const open = items.find((i) => (i.state ?? i.fields?.['System.State']) !== 'Closed');
      if (!open) return;
      clearInterval(approver);
      await fetch(`${baseUrl}/_emulator/devops/workitems/${open.id}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ state: 'Closed', comment: 'Test sign-off done, go ahead.', changedBy: 'Release Manager <rm@contoso.com>' }),
      });
    })();
  }, 2000);
  try {
    const result = await waitForApproval({
      solutionName: name, solutionVersion, targetEnvironment: 'Production', approvedStates: ['Closed'], rejectedStates: ['Removed'],
      timeoutMs: 60_000, pollIntervalMs: 1000, tags: ['dataverse-alm'],
    }, { devops }, consoleReporter());
    console.log(`  → approved by ${result.approvedBy ?? 'unknown'}${result.comment ? `: "${result.comment}"` : ''}`);
  } finally {
    clearInterval(approver);
  }
}

void main();
