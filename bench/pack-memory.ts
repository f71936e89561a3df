/**
 * Peak memory of packing: packs the largest and the smallest folder of `<corpus>/unpacked` (or DATAVERSE_CORPUS),
 * each in a fresh child process, and prints peak RSS next to the folder size and its largest single file.
 * Usage: npx tsx bench/pack-memory.ts [corpus]
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listFiles } from '../shared/solution/fs-walk';
import { packSolution } from '../shared/solution';

interface ChildReport { maxRssBytes: number; baselineRssBytes: number; peakHeapBytes: number; zipBytes: number; ms: number; retainedBytes?: number }

/** With --expose-gc: collect before every sample, so the figure is what pack keeps alive (heap + buffers). */
const gc = (globalThis as { gc?: () => void }).gc;
const live = (): number => { gc?.(); const m = process.memoryUsage(); return m.heapUsed + m.external; };

async function child(folder: string): Promise<void> {
  const baselineRssBytes = process.memoryUsage().rss;
  const baselineLive = live();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-bench-'));
  try {
    let peakHeapBytes = 0;
    let peakLive = baselineLive;
    const sampler = setInterval(() => {
      peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
      if (gc) peakLive = Math.max(peakLive, live());
    }, gc ? 20 : 5);
    const started = Date.now();
    const r = await packSolution({ folder, packageType: 'Both', outputFolder: out });
    clearInterval(sampler);
    const zipBytes = [r.unmanagedZipPath, r.managedZipPath].reduce((n, p) => n + (p ? fs.statSync(p).size : 0), 0);
    const report: ChildReport = {
      maxRssBytes: process.resourceUsage().maxRSS * 1024, baselineRssBytes, peakHeapBytes, zipBytes, ms: Date.now() - started,
      ...(gc ? { retainedBytes: peakLive - baselineLive } : {}),
    };
    process.send?.(report);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function measure(folder: string, heapLimitMb?: number, exposeGc = false): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const execArgv = [...process.execArgv, ...(heapLimitMb ? [`--max-old-space-size=${heapLimitMb}`] : []), ...(exposeGc ? ['--expose-gc'] : [])];
    const proc = fork(__filename, ['--child', folder], { stdio: 'inherit', execArgv });
    proc.on('message', (m) => resolve(m as ChildReport));
    proc.on('error', reject);
    proc.on('exit', (code) => { if (code !== 0) reject(new Error(`bench child for ${folder} exited with ${code}`)); });
  });
}

async function folderStats(folder: string): Promise<{ bytes: number; largest: number; files: number }> {
  const files = await listFiles(folder);
  const sizes = files.map((f) => fs.statSync(path.join(folder, f)).size);
  return { bytes: sizes.reduce((a, b) => a + b, 0), largest: Math.max(0, ...sizes), files: files.length };
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/**
 * A scaled-up copy of a corpus folder: every table copied `copies` times under new names, plus `blobs` web
 * resources of `blobMb` MB of random bytes each. Shows whether memory follows the solution's size.
 */
async function scaledCopy(source: string, target: string, copies: number, blobs: number, blobMb: number): Promise<void> {
  fs.cpSync(source, target, { recursive: true });
  fs.chmodSync(target, 0o755);
  for (const f of await listFiles(target)) fs.chmodSync(path.join(target, f), 0o644);
  const root = fs.existsSync(path.join(target, 'src', 'Other')) ? path.join(target, 'src') : target;
  const entitiesDir = path.join(root, 'Entities');
  const tables = fs.existsSync(entitiesDir) ? fs.readdirSync(entitiesDir) : [];
  for (let c = 1; c <= copies; c++) {
    for (const t of tables) {
      const copy = path.join(entitiesDir, `${t}Copy${c}`);
      fs.cpSync(path.join(entitiesDir, t), copy, { recursive: true });
      const entityXml = path.join(copy, 'Entity.xml');
      fs.writeFileSync(entityXml, fs.readFileSync(entityXml, 'utf8').replace(`>${t}</Name>`, `>${t}Copy${c}</Name>`));
    }
  }
  for (let i = 0; i < blobs; i++) {
    const id = `0000${i.toString(16).padStart(4, '0')}-0000-4000-8000-000000000000`;
    const name = `bench_/blob${i}.bin`;
    fs.mkdirSync(path.join(root, 'WebResources', 'bench_'), { recursive: true });
    fs.writeFileSync(path.join(root, 'WebResources', ...name.split('/')), Buffer.alloc(blobMb * 1024 * 1024, i + 1).map((_, j) => (j * 31 + i) & 0xff));
    fs.writeFileSync(path.join(root, 'WebResources', ...`${name}.data.xml`.split('/')),
      `<WebResource><WebResourceId>{${id}}</WebResourceId><Name>${name}</Name><WebResourceType>4</WebResourceType><FileName>/WebResources/bench_blob${i}bin${id.toUpperCase()}</FileName></WebResource>`);
  }
}

async function main(): Promise<void> {
  const corpus = process.argv[2] ?? process.env.DATAVERSE_CORPUS ?? path.join(__dirname, '..', '..', 'shared', 'corpus');
  const unpacked = path.join(corpus, 'unpacked');
  if (!fs.existsSync(unpacked)) {
    console.log(`pack-memory bench skipped: ${unpacked} not found`);
    return;
  }
  const folders = fs.readdirSync(unpacked).map((d) => path.join(unpacked, d)).filter((d) => fs.statSync(d).isDirectory());
  const stats = await Promise.all(folders.map(async (f) => ({ folder: f, ...(await folderStats(f)) })));
  stats.sort((a, b) => a.bytes - b.bytes);
  const picks = stats.length > 1 ? [stats[0], stats[stats.length - 1]] : stats;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-bench-scaled-'));
  try {
    const largest = picks[picks.length - 1];
    const scaled = path.join(scratch, `${path.basename(largest.folder)}-x5`);
    await scaledCopy(largest.folder, scaled, 4, 20, 5);
    picks.push({ folder: scaled, ...(await folderStats(scaled)) });
    await report(picks);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function report(picks: Array<{ folder: string; bytes: number; largest: number; files: number }>): Promise<void> {
  // Default GC lets the heap grow before collecting; a capped old space shows the memory pack really keeps alive.
  for (const limit of [undefined, 48]) {
    for (const s of picks) {
      const r = await measure(s.folder, limit);
      console.log(`${limit ? `[old space capped at ${limit} MB] ` : ''}${path.basename(s.folder)}: ${s.files} files, ${mb(s.bytes)} on disk, ` +
        `largest file ${mb(s.largest)} → peak RSS ${mb(r.maxRssBytes)} (process start ${mb(r.baselineRssBytes)}), ` +
        `peak JS heap ${mb(r.peakHeapBytes)}, zips ${mb(r.zipBytes)}, ${r.ms} ms`);
    }
  }
  // Peak RSS includes garbage V8 has not collected yet and its young-generation sizing; collecting before each
  // sample (every 20 ms) shows what pack itself keeps alive at its peak, the figure to compare with file sizes.
  for (const s of picks) {
    const r = await measure(s.folder, undefined, true);
    console.log(`[retained, GC before each sample] ${path.basename(s.folder)}: largest file ${mb(s.largest)} → ` +
      `peak live heap + buffers above start ${mb(r.retainedBytes ?? 0)}`);
  }
}

if (process.argv[2] === '--child') void child(process.argv[3]);
else void main();
