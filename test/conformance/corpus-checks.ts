/**
 * Conformance checks over a corpus folder (see ../shared/corpus/README.md): round trips of unpacked/ folders,
 * expected pack failures in expect-fail/, zip round trips in zips/, and deterministic packing.
 * Used by scripts/corpus.ts (one line per artifact) and by the mocha conformance test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspectSolutionFolder, MissingContentError, packSolution, unpackSolution, ZipReader } from '../../shared/solution';
import { parseXml } from '../../shared/solution/xml';
import { readManifest } from '../../shared/solution/manifest';
import { filesIdentical, tempDir, treeDifferences, zipDifferences } from '../fixtures/solution/tree-compare';

export interface CheckResult {
  artifact: string;
  ok: boolean;
  detail: string;
}

function subdirs(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

function summarize(diffs: string[]): string {
  return diffs.length <= 5 ? diffs.join('; ') : `${diffs.slice(0, 5).join('; ')}; … ${diffs.length - 5} more`;
}

async function withTemp<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = tempDir(prefix);
  try { return await fn(dir); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
}

/** (a) pack → unpack equals the original tree, and (c) packing twice gives byte-identical zips. */
export async function checkUnpackedFolder(folder: string): Promise<string> {
  const info = inspectSolutionFolder(folder);
  const packageType = info.manifest.managed === 2 ? 'Both' : info.manifest.managed === 1 ? 'Managed' : 'Unmanaged';
  return withTemp('corpus-a-', async (tmp) => {
    const first = await packSolution({ folder, packageType, outputFolder: path.join(tmp, 'one') });
    const second = await packSolution({ folder, packageType, outputFolder: path.join(tmp, 'two') });
    for (const [a, b] of [[first.unmanagedZipPath, second.unmanagedZipPath], [first.managedZipPath, second.managedZipPath]]) {
      if (a && b && !(await filesIdentical(a, b))) throw new Error(`packing twice gave different bytes (${path.basename(a)})`);
    }
    const out = path.join(tmp, 'unpacked');
    await unpackSolution({ unmanagedZipPath: first.unmanagedZipPath, managedZipPath: first.managedZipPath, folder: out });
    const diffs = await treeDifferences(info.solutionRoot, out);
    if (diffs.length > 0) throw new Error(`round trip differs: ${summarize(diffs)}`);
    return `${packageType.toLowerCase()} round trip equal, deterministic`;
  });
}

function expectedMissing(expectFile: string): string[] {
  return fs.readFileSync(expectFile, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => path.posix.basename(l.replace(/\\/g, '/')));
}

/** expect-fail: pack must fail naming exactly the files of `<folder>.expect.txt` (by file name). */
export async function checkExpectFail(dir: string, name: string): Promise<string> {
  const expectFile = path.join(dir, `${name}.expect.txt`);
  if (!fs.existsSync(expectFile)) throw new Error(`${name}.expect.txt is missing`);
  const expected = expectedMissing(expectFile).sort();
  const mapping = path.join(dir, `${name}.mapping.xml`);
  return withTemp('corpus-f-', async (tmp) => {
    let folder = path.join(dir, name);
    let mapFile: string | undefined;
    if (fs.existsSync(mapping)) {
      // The map's paths are relative to the solution folder: <tmp>/SolutionFiles beside the mapped sources.
      folder = path.join(tmp, 'SolutionFiles');
      fs.cpSync(path.join(dir, name), folder, { recursive: true });
      const sources = path.join(dir, `${name}.mapped-sources`);
      if (fs.existsSync(sources)) for (const child of fs.readdirSync(sources)) fs.cpSync(path.join(sources, child), path.join(tmp, child), { recursive: true });
      mapFile = path.join(tmp, 'map.xml');
      fs.copyFileSync(mapping, mapFile);
    }
    try {
      await packSolution({ folder, mapFile, outputFolder: path.join(tmp, 'out') });
    } catch (err) {
      if (!(err instanceof MissingContentError)) throw new Error(`failed, but not for missing files: ${(err as Error).message}`, { cause: err });
      const named = err.missingFiles.map((m) => path.posix.basename(m.path)).sort();
      if (JSON.stringify(named) !== JSON.stringify(expected)) {
        throw new Error(`named missing ${JSON.stringify(named)}, expected ${JSON.stringify(expected)}`, { cause: err });
      }
      const leftovers = fs.existsSync(path.join(tmp, 'out')) ? fs.readdirSync(path.join(tmp, 'out')) : [];
      if (leftovers.length > 0) throw new Error(`failed pack left output behind: ${leftovers.join(', ')}`, { cause: err });
      return `fails naming exactly ${expected.join(', ')}`;
    }
    throw new Error('packed without error, but it must fail');
  });
}

/** (b) unpack → pack gives a zip with semantically equal solution.xml/customizations.xml and identical other entries. */
export async function checkZip(zipPath: string): Promise<string> {
  const zip = await ZipReader.open(zipPath);
  let managed: boolean;
  try {
    managed = readManifest(parseXml(await zip.readText(zip.findName('solution.xml') ?? 'solution.xml'), 'solution.xml')).managed === 1;
  } finally {
    zip.close();
  }
  return withTemp('corpus-b-', async (tmp) => {
    const tree = path.join(tmp, 'tree');
    await unpackSolution({ [managed ? 'managedZipPath' : 'unmanagedZipPath']: zipPath, folder: tree });
    const out = path.join(tmp, 'packed.zip');
    await packSolution({ folder: tree, packageType: managed ? 'Managed' : 'Unmanaged', [managed ? 'managedZipPath' : 'unmanagedZipPath']: out });
    const diffs = await zipDifferences(zipPath, out);
    if (diffs.length > 0) throw new Error(`repacked zip differs: ${summarize(diffs)}`);
    return `${managed ? 'managed' : 'unmanaged'} unpack → pack equal`;
  });
}

export interface CorpusArtifact {
  artifact: string;
  check(): Promise<string>;
}

export interface CorpusSection {
  name: string;
  /** Set when the subfolder is absent. */
  skipReason?: string;
  artifacts: CorpusArtifact[];
}

export async function runArtifact(a: CorpusArtifact): Promise<CheckResult> {
  try {
    return { artifact: a.artifact, ok: true, detail: await a.check() };
  } catch (err) {
    return { artifact: a.artifact, ok: false, detail: (err as Error).message.split('\n').join(' ') };
  }
}

/** The checks for a corpus folder, listed up front; sections whose subfolder is absent carry a skip reason. */
export function corpusSections(corpus: string): CorpusSection[] {
  const sub = (n: string) => path.join(corpus, n);
  const section = (name: string, list: () => CorpusArtifact[]): CorpusSection =>
    fs.existsSync(sub(name)) ? { name, artifacts: list() } : { name, skipReason: `${name}/ not present in ${corpus}`, artifacts: [] };
  return [
    section('unpacked', () => subdirs(sub('unpacked')).map((d) => ({
      artifact: `unpacked/${d}`, check: () => checkUnpackedFolder(path.join(sub('unpacked'), d)),
    }))),
    section('expect-fail', () => subdirs(sub('expect-fail')).filter((n) => !n.endsWith('.mapped-sources')).map((d) => ({
      artifact: `expect-fail/${d}`, check: () => checkExpectFail(sub('expect-fail'), d),
    }))),
    section('zips', () => fs.readdirSync(sub('zips')).filter((n) => n.toLowerCase().endsWith('.zip')).sort().map((z) => ({
      artifact: `zips/${z}`, check: () => checkZip(path.join(sub('zips'), z)),
    }))),
  ];
}
