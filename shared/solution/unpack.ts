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
import { planUnpack, TreeFile } from './unpack-plan';
import { writeXml } from './xml';
import { ZipReader } from './zip-read';
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

async function writeTreeFile(root: string, rel: string, file: TreeFile): Promise<void> {
  const dest = toNative(root, rel);
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  if (file.kind === 'entry') { await file.zip.extractTo(file.entry, dest); return; }
  const text = writeXml(file.root, { declaration: true });
  // Unchanged files are not rewritten, so re-unpacking an unchanged solution touches nothing.
  if (fs.existsSync(dest) && (await fs.promises.readFile(dest, 'utf8')) === text) return;
  await fs.promises.writeFile(dest, text, 'utf8');
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
    const primary = await planUnpack((unmanagedZip ?? managedZip) as ZipReader);
    const files = new Map(primary.files);
    let managed: ManagedFlag = unmanagedZip ? 0 : 1;
    if (unmanagedZip && primary.manifest.managed !== 0) {
      throw new UserError(`'${options.unmanagedZipPath}' is a managed solution (<Managed>1</Managed>) but was given as the unmanaged zip.`);
    }
    if (managedZip) {
      const secondary = unmanagedZip ? await planUnpack(managedZip) : primary;
      if (secondary.manifest.managed !== 1) {
        throw new UserError(`'${options.managedZipPath}' is not a managed solution (<Managed>${secondary.manifest.managed}</Managed>).`);
      }
      if (unmanagedZip) {
        if (secondary.manifest.uniqueName !== primary.manifest.uniqueName) {
          throw new UserError(`The unmanaged zip holds solution '${primary.manifest.uniqueName}' but the managed zip holds '${secondary.manifest.uniqueName}'.`, 'Give both exports of the same solution.');
        }
        managed = 2;
        for (const [rel, file] of secondary.files) {
          if (TWIN_PATTERNS.some((re) => re.test(rel))) files.set(managedTwin(rel), file);
        }
      }
    }
    setManifestManaged(primary.solution, managed);
    files.set('Other/Solution.xml', { kind: 'xml', root: primary.solution });

    const root = targetRoot(options.folder);
    const written = [...files.keys()].sort(compareOrdinal);
    for (const rel of written) await writeTreeFile(root, rel, files.get(rel) as TreeFile);

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
