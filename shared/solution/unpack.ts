/**
 * Unpack: solution zip(s) → SolutionPackager tree. With both an unmanaged and a managed zip the tree says
 * <Managed>2</Managed> and gets `_managed` twins for forms, app modules and app module site maps (as the real
 * tools do). Output is deterministic; stale files are removed only inside component folders of the tree.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger, silentLogger, UserError } from '../core';
import { compareOrdinal, listFiles, toNative } from './fs-walk';
import { findPathIgnoringCase, findSolutionProject } from './layout';
import { ManagedFlag, setManifestManaged, SolutionManifest } from './manifest';
import { isSourceOnlyPath, managedTwin, PASS_THROUGH_FOLDERS, SPLIT_FOLDERS } from './tree-sections';
import { readSolutionXml, splitSolutionZip, TreeEntries } from './unpack-plan';
import { writeXml, XmlElement } from './xml';
import { ZipReader } from './zip-read';
import { withWorkFolder } from './work-folder';
import { ZipLimits } from './zip-limits';

export interface UnpackOptions {
  unmanagedZipPath?: string;
  managedZipPath?: string;
  /** Target: a pac project folder (unpacks into its SolutionRootPath), or the solution tree folder itself. */
  folder: string;
  limits?: ZipLimits;
  logger?: Logger;
}

export interface UnpackResult {
  solutionRoot: string;
  manifest: SolutionManifest;
  managed: ManagedFlag;
  written: string[];
  removed: string[];
}

const TWIN_PATTERNS = [/^Entities\/[^/]+\/FormXml\//i, /^AppModules\/[^/]+\/AppModule\.xml$/i, /^AppModuleSiteMaps\/[^/]+\/AppModuleSiteMap\.xml$/i];

/** A pac project unpacks into its SolutionRootPath, an existing `src/` tree into src/, anything else in place. */
function targetRoot(folder: string): string {
  const abs = path.resolve(folder);
  if (!fs.existsSync(abs)) return abs;
  const project = findSolutionProject(abs);
  if (project) return project.solutionRoot;
  if (!findPathIgnoringCase(abs, 'Other') && findPathIgnoringCase(abs, 'src/Other/Solution.xml')) return path.join(abs, 'src');
  return abs;
}

/** Every tree file (split XML and content copied from the zip) is staged privately until the whole zip has been read. */
class Staging {
  readonly files = new Set<string>();

  constructor(readonly dir: string) {}

  async write(rel: string, root: XmlElement): Promise<void> {
    const dest = toNative(this.dir, rel);
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    await fs.promises.writeFile(dest, writeXml(root, { declaration: true }), 'utf8');
    this.files.add(rel);
  }

  async extract(zip: ZipReader, entry: string, rel: string): Promise<void> {
    await zip.extractTo(entry, toNative(this.dir, rel));
    this.files.add(rel);
  }

  /** Moves a staged file into the tree; an unchanged file is not rewritten, so re-unpacking touches nothing. */
  async commit(rel: string, root: string): Promise<void> {
    const staged = toNative(this.dir, rel);
    const dest = toNative(root, rel);
    if (await sameContent(staged, dest)) return;
    await fs.promises.mkdir(path.dirname(dest), { recursive: true });
    try {
      await fs.promises.rename(staged, dest);
    } catch (err) {
      // The temp folder may be on another volume than the tree.
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await fs.promises.copyFile(staged, dest);
    }
  }
}

/** Whether two files hold the same bytes, read in chunks (content files can be large). */
async function sameContent(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([fs.promises.stat(a), fs.promises.stat(b).catch(() => undefined)]);
  if (!sb?.isFile() || sa.size !== sb.size) return false;
  const [fa, fb] = await Promise.all([fs.promises.open(a, 'r'), fs.promises.open(b, 'r')]);
  try {
    const [ba, bb] = [Buffer.alloc(64 * 1024), Buffer.alloc(64 * 1024)];
    for (let pos = 0; pos < sa.size;) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, ba.length, pos), fb.read(bb, 0, bb.length, pos)]);
      if (ra.bytesRead === 0 || ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
      pos += ra.bytesRead;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

function isComponentPath(rel: string, topFolders: Set<string>): boolean {
  const slash = rel.indexOf('/');
  return slash > 0 && topFolders.has(rel.slice(0, slash).toLowerCase()) && !isSourceOnlyPath(rel);
}

async function removeEmptyDirs(dir: string): Promise<void> {
  if (!fs.existsSync(dir)) return;
  for (const e of await fs.promises.readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) await removeEmptyDirs(path.join(dir, e.name));
  }
  if ((await fs.promises.readdir(dir)).length === 0) await fs.promises.rmdir(dir);
}

export async function unpackSolution(options: UnpackOptions): Promise<UnpackResult> {
  const logger = options.logger ?? silentLogger;
  if (!options.unmanagedZipPath && !options.managedZipPath) throw new UserError('Nothing to unpack: give an unmanaged zip, a managed zip, or both.');
  const zips: ZipReader[] = [];
  try {
    const open = async (p?: string) => { if (!p) return undefined; const z = await ZipReader.open(p, options.limits); zips.push(z); return z; };
    const unmanagedZip = await open(options.unmanagedZipPath);
    const managedZip = await open(options.managedZipPath);
    const primaryZip = (unmanagedZip ?? managedZip) as ZipReader;
    const primary = await readSolutionXml(primaryZip);
    if (unmanagedZip && primary.manifest.managed !== 0) {
      throw new UserError(`'${options.unmanagedZipPath}' is a managed solution (<Managed>1</Managed>) but was given as the unmanaged zip.`);
    }
    const secondary = unmanagedZip && managedZip ? await readSolutionXml(managedZip) : undefined;
    if (managedZip && (secondary ?? primary).manifest.managed !== 1) {
      throw new UserError(`'${options.managedZipPath}' is not a managed solution (<Managed>${(secondary ?? primary).manifest.managed}</Managed>).`);
    }
    if (secondary && secondary.manifest.uniqueName !== primary.manifest.uniqueName) {
      throw new UserError(`The unmanaged zip holds solution '${primary.manifest.uniqueName}' but the managed zip holds '${secondary.manifest.uniqueName}'.`, 'Give both exports of the same solution.');
    }
    const managed: ManagedFlag = secondary ? 2 : unmanagedZip ? 0 : 1;
    const root = targetRoot(options.folder);
    const written = await withWorkFolder(root, logger, async (dir) => {
      // Everything is read (every XML file checked, every content file extracted) into staging before the tree is touched.
      const staging = new Staging(dir);
      const entries: TreeEntries = await splitSolutionZip(primaryZip, primary.solution, (rel, el) => staging.write(rel, el));
      if (secondary && managedZip) {
        await splitSolutionZip(managedZip, secondary.solution, async (rel, el) => {
          if (TWIN_PATTERNS.some((re) => re.test(rel))) await staging.write(managedTwin(rel), el);
        });
      }
      setManifestManaged(primary.solution, managed);
      await staging.write('Other/Solution.xml', primary.solution);
      for (const [rel, entry] of entries) if (!staging.files.has(rel)) await staging.extract(primaryZip, entry, rel);
      const files = [...staging.files].sort(compareOrdinal);
      for (const rel of files) await staging.commit(rel, root);
      return files;
    });

    const topFolders = new Set([...SPLIT_FOLDERS, ...PASS_THROUGH_FOLDERS, ...written.filter((w) => w.includes('/')).map((w) => w.slice(0, w.indexOf('/')))].map((f) => f.toLowerCase()));
    const keep = new Set(written);
    const removed: string[] = [];
    for (const rel of await listFiles(root)) {
      if (!keep.has(rel) && isComponentPath(rel, topFolders)) {
        await fs.promises.rm(toNative(root, rel));
        removed.push(rel);
      }
    }
    for (const top of topFolders) {
      const dir = findPathIgnoringCase(root, top);
      if (dir) await removeEmptyDirs(dir);
    }
    logger.info(`Unpacked ${primary.manifest.uniqueName} ${primary.manifest.version} (${managed === 2 ? 'unmanaged + managed' : managed === 1 ? 'managed' : 'unmanaged'}) into ${root}: ${written.length} files, ${removed.length} stale files removed.`);
    return { solutionRoot: root, manifest: { ...primary.manifest, managed }, managed, written, removed };
  } finally {
    for (const z of zips) z.close();
  }
}
