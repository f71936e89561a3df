/**
 * The 500 MB case of the emulator's solution lifecycle (issue 3 §6): the emulator runs in a child process;
 * this process streams a solution with an incompressible component file of BENCH_MB (default 500) MB into
 * ImportSolutionAsync, waits for the job, exports it back, and prints the emulator's peak RSS and retained
 * heap next to the file size.  Usage: npx tsx bench/emulator-large.ts   (BENCH_MB=100 for a quicker run)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator } from '../emulator';
import { writeSolutionZip } from '../test/emulator/fixtures/solutionZip';
import { exportToFile, postWithFile } from '../test/emulator/fixtures/streamingClient';

interface EmulatorReady { kind: 'ready'; api: string; envUrl: string; tokenUrl: string; clientId: string; clientSecret: string }
interface EmulatorReport { kind: 'report'; baselineRss: number; maxRss: number; peakHeap: number }

async function emulatorChild(): Promise<void> {
  const emulator = await startEmulator({ port: 0, seed: { environments: [{ name: 'big', timeScale: 0.001 }] } });
  const baselineRss = process.memoryUsage().rss;
  let peakHeap = 0;
  const sampler = setInterval(() => { const m = process.memoryUsage(); peakHeap = Math.max(peakHeap, m.heapUsed + m.external); }, 20);
  const { info } = emulator;
  const ready: EmulatorReady = {
    kind: 'ready', api: `${info.environments.big}/api/data/v9.2`, envUrl: info.environments.big,
    tokenUrl: `${info.authorityHost}/${info.tenantId}/oauth2/v2.0/token`, clientId: info.clientId, clientSecret: info.clientSecret ?? '',
  };
  process.send?.(ready);
  process.on('message', async () => {
    clearInterval(sampler);
    const report: EmulatorReport = { kind: 'report', baselineRss, maxRss: process.resourceUsage().maxRSS * 1024, peakHeap };
    process.send?.(report);
    await emulator.stop();
    process.exit(0);
  });
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`emulator child exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const megabytes = Number(process.env.BENCH_MB ?? '500');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-large-'));
  const child = fork(__filename, ['--emulator'], { execArgv: process.execArgv, stdio: 'inherit' });
  try {
    const zip = path.join(dir, 'big.zip');
    await writeSolutionZip({ uniqueName: 'Large', version: '1.0.0.0', managed: false, entities: ['cts_Large'],
      files: [{ name: 'WebResources/cts_largeblobB9E478CC-2ADB-E611-80D9-3863BB34CDB0', randomBytes: megabytes * 1024 * 1024 }] }, zip);
    const ready = await nextMessage<EmulatorReady>(child);
    const tokenResponse = await fetch(ready.tokenUrl, { method: 'POST', body: new URLSearchParams({
      grant_type: 'client_credentials', client_id: ready.clientId, client_secret: ready.clientSecret, scope: `${ready.envUrl}/.default` }) });
    const token = ((await tokenResponse.json()) as { access_token: string }).access_token;
    const started = Date.now();
    const imported = await postWithFile(`${ready.api}/ImportSolutionAsync`, token,
      { OverwriteUnmanagedCustomizations: false, PublishWorkflows: false, ImportJobId: randomUUID() }, zip);
    if (imported.status !== 200) throw new Error(`ImportSolutionAsync answered ${imported.status}: ${imported.text}`);
    const { AsyncOperationId } = JSON.parse(imported.text) as { AsyncOperationId: string };
    for (;;) {
      const res = await fetch(`${ready.api}/asyncoperations(${AsyncOperationId})?$select=statecode,statuscode,message`, { headers: { Authorization: `Bearer ${token}` } });
      const row = (await res.json()) as { statecode: number; statuscode: number; message: string | null };
      if (row.statecode === 3) {
        if (row.statuscode !== 30) throw new Error(`import failed: ${row.message}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const importMs = Date.now() - started;
    const exported = await exportToFile(`${ready.api}/ExportSolution`, token, { SolutionName: 'Large', Managed: true }, path.join(dir, 'exported.zip'));
    const totalMs = Date.now() - started;
    child.send('report');
    const report = await nextMessage<EmulatorReport>(child);
    const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
    console.log(`solution file ${mb(fs.statSync(zip).size)}, exported ${mb(exported)}; import ${importMs} ms, import+export ${totalMs} ms`);
    console.log(`emulator peak RSS ${mb(report.maxRss)} (baseline ${mb(report.baselineRss)}, growth ${mb(report.maxRss - report.baselineRss)}), ` +
      `peak heap+external ${mb(report.peakHeap)}`);
  } finally {
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--emulator') void emulatorChild();
else main().catch((err: unknown) => { console.error(err); process.exit(1); });
