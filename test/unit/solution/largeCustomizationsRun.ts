/**
 * Child process of largeCustomizations.test.ts (run with --expose-gc): writes a solution zip whose
 * customizations.xml holds many large tables, then reads it with readSolutionZip and unpacks it, measuring the
 * memory (heap + external, collected first) each keeps alive.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readSolutionZip, unpackSolution, writeZip } from '../../../shared/solution';

export interface LargeCustomizationsReport {
  customizationsBytes: number;
  largestComponentBytes: number;
  tablesRead: number;
  /** The most readSolutionZip kept alive at once, sampled every 50 ms. */
  readPeak: number;
  /** The most unpack kept alive at once, sampled every 50 ms. */
  unpackPeak: number;
  tablesUnpacked: number;
}

const gc = (globalThis as { gc?: () => void }).gc as () => void;
const live = () => { gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };

function table(i: number, descriptionBytes: number): string {
  // Names of 13+ characters: V8 keeps such substrings as slices of the text they were cut from.
  const name = `Long Display Name ${String(i).padStart(5, '0')}`;
  return `    <Entity><Name LocalizedName="${name}" OriginalName="${name}">cnt_entity${String(i).padStart(5, '0')}</Name>` +
    `<EntityInfo><entity Name="cnt_entity${String(i).padStart(5, '0')}"><Description>${randomBytes(descriptionBytes / 2).toString('hex')}</Description></entity></EntityInfo></Entity>\n`;
}

/** Runs `fn`, sampling live memory every 50 ms: the most it kept alive above the start. */
async function peakLive<T>(fn: () => Promise<T>): Promise<{ result: T; peak: number }> {
  const start = live();
  let peak = start;
  const sampler = setInterval(() => { peak = Math.max(peak, live()); }, 50);
  try {
    const result = await fn();
    return { result, peak: Math.max(peak, live()) - start };
  } finally {
    clearInterval(sampler);
  }
}

async function main(tables: number, descriptionBytes: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvalm-large-custom-'));
  try {
    const customizations = path.join(dir, 'customizations.xml');
    const out = fs.createWriteStream(customizations);
    out.write('<ImportExportXml xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n  <Entities>\n');
    for (let i = 0; i < tables; i++) if (!out.write(table(i, descriptionBytes))) await once(out, 'drain');
    out.end('  </Entities>\n  <Languages><Language>1033</Language></Languages>\n</ImportExportXml>');
    await once(out, 'finish');
    const solution = '<ImportExportXml SolutionPackageVersion="9.2"><SolutionManifest><UniqueName>Large</UniqueName><Version>1.0.0.0</Version><Managed>0</Managed></SolutionManifest></ImportExportXml>';
    const zipPath = path.join(dir, 'Large_1_0_0_0.zip');
    await writeZip(zipPath, [
      { name: 'solution.xml', source: { kind: 'buffer', data: Buffer.from(solution) } },
      { name: 'customizations.xml', source: { kind: 'file', path: customizations } },
    ]);
    const customizationsBytes = fs.statSync(customizations).size;
    fs.rmSync(customizations);

    // Let the zip writer's streams and buffers go first, so the baseline is the settled process.
    await new Promise((resolve) => setTimeout(resolve, 50));
    live();
    const read = await peakLive(() => readSolutionZip(zipPath));
    const unpack = await peakLive(() => unpackSolution({ unmanagedZipPath: zipPath, folder: path.join(dir, 'tree') }));
    const report: LargeCustomizationsReport = {
      customizationsBytes, largestComponentBytes: Buffer.byteLength(table(0, descriptionBytes)),
      tablesRead: read.result.entities.length, readPeak: read.peak,
      unpackPeak: unpack.peak, tablesUnpacked: fs.readdirSync(path.join(dir, 'tree', 'Entities')).length,
    };
    process.send?.(report);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main(Number(process.argv[2]), Number(process.argv[3]));
