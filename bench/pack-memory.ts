/**
 * Memory of packing, measured side by side in one run on the smallest and the largest folder of
 * `<corpus>/unpacked` (or DATAVERSE_CORPUS) and on a ×5 scaled copy of the largest:
 * - task: the bundled pack-version task (dist/extension, as the agent runs it; packageType both) → peak RSS;
 * - zlib floor: a process that only reads every file of the folder and deflates it through a zlib stream per
 *   file, twice (one per zip), keeping nothing → peak RSS: what any Node pack pays for zlib and GC timing;
 * - live: packSolution in a process that collects garbage before every sample → the most memory pack keeps
 *   alive at once (heap + buffers), the figure that shows whether memory follows the solution's size;
 * - unpack: the two zips the task wrote, unpacked together (<Managed>2 tree) in a fresh process → peak RSS.
 * Usage: npm run bench -- pack-memory   (or npx tsx bench/pack-memory.ts [corpus] after `npm run build`)
 */
import { fork, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { findRoot } from '../scripts/repo-root';
import { listFiles } from '../shared/solution/fs-walk';
import { packSolution, unpackSolution } from '../shared/solution';

const root = findRoot(__dirname);
const taskJs = path.join(root, 'dist', 'extension', 'tasks', 'pack-version', 'index.js');
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Peak RSS of `node <args>` in bytes, read from a preload that records it at exit. */
function peakRss(args: string[], env: Record<string, string>): { peak: number; ms: number; output: string } {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-bench-rss-'));
  try {
    const preload = path.join(scratch, 'peak.js');
    const report = path.join(scratch, 'peak.txt');
    fs.writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, String(process.resourceUsage().maxRSS * 1024)));`);
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--require', preload, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
    const ms = Date.now() - started;
    if (r.status !== 0 || !fs.existsSync(report)) throw new Error(`node ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
    return { peak: Number(fs.readFileSync(report, 'utf8')), ms, output: r.stdout };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Packs with the bundled task, then unpacks its two zips (in a fresh process) into a new folder. */
function packThenUnpack(folder: string): { pack: { peak: number; ms: number }; unpack: { peak: number; ms: number } } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-bench-out-'));
  try {
    const pack = peakRss([taskJs], {
      INPUT_SOURCEFOLDER: folder, INPUT_PACKAGETYPE: 'both', INPUT_OUTPUTFOLDER: out, INPUT_UPDATESOURCEVERSION: 'false',
      AGENT_TEMPDIRECTORY: out, SYSTEM_DEFAULTWORKINGDIRECTORY: out,
    });
    if (!pack.output.includes('result=Succeeded')) throw new Error(`pack-version did not succeed on ${folder}:\n${pack.output}`);
    const zips = fs.readdirSync(out).filter((f) => f.endsWith('.zip')).sort();
    const managed = zips.find((z) => z.endsWith('_managed.zip')) as string;
    const unmanaged = zips.find((z) => !z.endsWith('_managed.zip')) as string;
    const unpack = peakRss([...process.execArgv, __filename, '--unpack', path.join(out, unmanaged), path.join(out, managed), path.join(out, 'tree')], {});
    return { pack, unpack };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function unpackChild(unmanagedZipPath: string, managedZipPath: string, folder: string): Promise<void> {
  await unpackSolution({ unmanagedZipPath, managedZipPath, folder });
}

/** The zlib floor: every file read and deflated (one stream per file, as a zip writer does), twice, output discarded. */
async function zlibFloorChild(folder: string): Promise<void> {
  const files = await listFiles(folder);
  for (let zip = 0; zip < 2; zip++) {
    for (const f of files) {
      await pipeline(fs.createReadStream(path.join(folder, f)), zlib.createDeflateRaw({ level: 6 }), fs.createWriteStream(os.devNull));
    }
  }
}

interface LiveReport { retainedBytes: number }

/** Runs in a child with --expose-gc: the most memory (heap + buffers) pack keeps alive, GC before every sample. */
async function liveChild(folder: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const live = (): number => { gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-bench-'));
  try {
    const baseline = live();
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, live()); }, 20);
    await packSolution({ folder, packageType: 'Both', outputFolder: out });
    clearInterval(sampler);
    process.send?.({ retainedBytes: peak - baseline } satisfies LiveReport);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function measureLive(folder: string): Promise<LiveReport> {
  return new Promise((resolve, reject) => {
    const proc = fork(__filename, ['--live', folder], { stdio: 'inherit', execArgv: [...process.execArgv, '--expose-gc'] });
    proc.on('message', (m) => resolve(m as LiveReport));
    proc.on('error', reject);
    proc.on('exit', (code) => { if (code !== 0) reject(new Error(`live-memory child for ${folder} exited with ${code}`)); });
  });
}

async function folderStats(folder: string): Promise<{ bytes: number; largest: number; files: number }> {
  const files = await listFiles(folder);
  const sizes = files.map((f) => fs.statSync(path.join(folder, f)).size);
  return { bytes: sizes.reduce((a, b) => a + b, 0), largest: Math.max(0, ...sizes), files: files.length };
}

/**
 * A scaled-up copy of a corpus folder: every table copied `copies` times under new names, plus `blobs` web
 * resources of `blobMb` MB of random bytes each (incompressible, like images). Shows whether memory follows the solution's size.
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
    fs.writeFileSync(path.join(root, 'WebResources', ...name.split('/')), crypto.randomBytes(blobMb * 1024 * 1024));
    fs.writeFileSync(path.join(root, 'WebResources', ...`${name}.data.xml`.split('/')),
      `<WebResource><WebResourceId>{${id}}</WebResourceId><Name>${name}</Name><WebResourceType>4</WebResourceType><FileName>/WebResources/bench_blob${i}bin${id.toUpperCase()}</FileName></WebResource>`);
  }
}

async function main(): Promise<void> {
  const corpus = process.argv[2] ?? process.env.DATAVERSE_CORPUS ?? path.join(root, '..', 'shared', 'corpus');
  const unpacked = path.join(corpus, 'unpacked');
  if (!fs.existsSync(unpacked)) { console.log(`pack-memory bench skipped: ${unpacked} not found`); return; }
  if (!fs.existsSync(taskJs)) { console.error(`${path.relative(root, taskJs)} is missing; run \`npm run build\` first.`); process.exit(1); }
  const folders = fs.readdirSync(unpacked).map((d) => path.join(unpacked, d)).filter((d) => fs.statSync(d).isDirectory());
  const stats = await Promise.all(folders.map(async (f) => ({ folder: f, name: path.basename(f), ...(await folderStats(f)) })));
  stats.sort((a, b) => a.bytes - b.bytes);
  const picks = stats.length > 1 ? [stats[0], stats[stats.length - 1]] : stats;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-bench-scaled-'));
  try {
    const largest = picks[picks.length - 1];
    const scaled = path.join(scratch, `${largest.name}-x5`);
    await scaledCopy(largest.folder, scaled, 4, 20, 5);
    picks.push({ folder: scaled, name: `${largest.name} ×5`, ...(await folderStats(scaled)) });
    const rows = [];
    for (const s of picks) {
      const { pack: task, unpack } = packThenUnpack(s.folder);
      const floor = peakRss([...process.execArgv, __filename, '--zlib-floor', s.folder], {});
      const live = await measureLive(s.folder);
      rows.push({ ...s, task, floor, live, unpack });
      console.log(`${s.name}: ${s.files} files, ${mb(s.bytes)}, largest file ${mb(s.largest)} → task peak RSS ${mb(task.peak)} (${task.ms} ms), ` +
        `zlib floor peak RSS ${mb(floor.peak)}, live memory above start ${mb(live.retainedBytes)}; unpack of both zips peak RSS ${mb(unpack.peak)} (${unpack.ms} ms)`);
    }
    const [small, ...others] = rows;
    for (const r of others) {
      console.log(`${r.name} vs ${small.name}: task +${mb(r.task.peak - small.task.peak)}, zlib floor +${mb(r.floor.peak - small.floor.peak)}, ` +
        `live +${mb(r.live.retainedBytes - small.live.retainedBytes)}, unpack +${mb(r.unpack.peak - small.unpack.peak)}; largest file ${mb(r.largest)}`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--live') void liveChild(process.argv[3]);
else if (process.argv[2] === '--unpack') void unpackChild(process.argv[3], process.argv[4], process.argv[5]);
else if (process.argv[2] === '--zlib-floor') void zlibFloorChild(process.argv[3]);
else void main();
