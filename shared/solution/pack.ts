/** Pack: solution tree (flat, src/ or pac project) → unmanaged and/or managed solution zips. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger, silentLogger, UserError } from '../core';
import { FileIndex, listFiles } from './fs-walk';
import { inspectSolutionFolder, PackageType, SolutionFolderInfo } from './layout';
import { MapResolver } from './mapping';
import { setManifestManaged, setManifestVersion } from './manifest';
import { mergePackage, MissingFile, PackPlan, TreeContext, Variant } from './pack-plan';
import { FileSink } from './text-sink';
import { withWorkFolder } from './work-folder';
import { CONTENT_TYPES_NAME, contentTypesXml } from './content-types';
import { cloneElement, parseXml, writeXml, XmlElement } from './xml';
import { writeZip, ZipWriteEntry } from './zip-write';
import { parseVersion } from './versions';

export interface PackOptions {
  /** A pac project folder (*.cdsproj), a folder with src/, or the solution tree itself (holding Other/). */
  folder: string;
  /** Default: the cdsproj's SolutionPackageType, else Unmanaged (SolutionPackager's default, even for a Both folder). */
  packageType?: PackageType;
  /** Explicit output paths; otherwise `<outputFolder>/<UniqueName>_<version>[_managed].zip`. */
  unmanagedZipPath?: string;
  managedZipPath?: string;
  outputFolder?: string;
  /** SolutionPackager map file; default: the cdsproj's SolutionPackageMapFilePath. */
  mapFile?: string;
  /** Version to stamp into solution.xml (already resolved, e.g. via applyVersionPattern). */
  version?: string;
  logger?: Logger;
}

export interface PackResult {
  uniqueName: string;
  version: string;
  packageType: PackageType;
  folder: SolutionFolderInfo;
  unmanagedZipPath?: string;
  managedZipPath?: string;
  warnings: string[];
}

/** Thrown when content files are missing: lists every one, so a single run shows all of them. */
export class MissingContentError extends UserError {
  constructor(readonly missingFiles: MissingFile[], solutionRoot: string) {
    // The fix goes on its own line after the list (a UserError hint would be appended to the last bullet).
    super(`Cannot pack '${solutionRoot}': ${missingFiles.length} file(s) referenced by the solution are missing:\n${missingFiles.map(describeMissing).join('\n')}\n` +
      'Add these files (or build them and supply them through a map file), then pack again.');
    this.name = 'MissingContentError';
  }
}

function describeMissing(m: MissingFile): string {
  return `  - ${m.path} (referenced by ${m.referencedBy}${m.mappedTo ? `; the map file points to ${m.mappedTo}, which does not exist` : ''}${m.note ? `; ${m.note}` : ''})`;
}

export function defaultZipName(uniqueName: string, version: string, managed: boolean): string {
  return `${uniqueName}_${version.replace(/\./g, '_')}${managed ? '_managed' : ''}.zip`;
}

/** As SolutionPackager: the requested type, else the cdsproj's, else Unmanaged (also for a Both folder). */
function resolvePackageType(info: SolutionFolderInfo, requested?: PackageType): PackageType {
  return requested ?? info.projectPackageType ?? 'Unmanaged';
}

function solutionFor(base: XmlElement, variant: Variant, version?: string): Buffer {
  const solution = cloneElement(base);
  setManifestManaged(solution, variant === 'managed' ? 1 : 0);
  if (version) setManifestVersion(solution, version);
  return Buffer.from(writeXml(solution, { declaration: false }), 'utf8');
}

/** Merges customizations.xml of every variant into `<work>/<variant>.customizations.xml` in one pass over the tree. */
async function mergeToFiles(ctx: TreeContext, variants: Variant[], work: string): Promise<PackPlan> {
  const sinks = new Map<Variant, FileSink>();
  try {
    for (const v of variants) sinks.set(v, FileSink.create(customizationsFile(work, v)));
    return await mergePackage(ctx, sinks);
  } finally {
    for (const sink of sinks.values()) sink.close();
  }
}

function zipEntries(plan: PackPlan, customizationsFile: string, solution: Buffer): ZipWriteEntry[] {
  const entries: ZipWriteEntry[] = [
    { name: 'customizations.xml', source: { kind: 'file', path: customizationsFile } },
    { name: 'solution.xml', source: { kind: 'buffer', data: solution } },
    ...plan.files.map((f) => ({ name: f.zipName, source: { kind: 'file' as const, path: f.source } })),
  ];
  entries.push({ name: CONTENT_TYPES_NAME, source: { kind: 'buffer', data: contentTypesXml(entries.map((e) => e.name)) } });
  return entries;
}

/**
 * Packs a solution folder. Everything is validated (manifest, version, every referenced file) before any output
 * is written; a failure leaves no new zip behind and keeps existing files of the same names. Same input →
 * byte-identical zips.
 */
export async function packSolution(options: PackOptions): Promise<PackResult> {
  const logger = options.logger ?? silentLogger;
  const info = inspectSolutionFolder(options.folder);
  const packageType = resolvePackageType(info, options.packageType);
  const version = options.version ? parseVersion(options.version, 'Version to stamp').text : info.manifest.version;
  const mapFile = options.mapFile ? path.resolve(options.mapFile) : info.projectMapFile;
  const ctx: TreeContext = {
    root: info.solutionRoot,
    index: new FileIndex(info.solutionRoot, await listFiles(info.solutionRoot)),
    map: mapFile ? await MapResolver.load(mapFile, info.solutionRoot) : undefined,
    logger,
  };
  if (packageType !== 'Unmanaged' && info.manifest.managed === 0) {
    logger.warn(`'${info.manifestPath}' was unpacked as Unmanaged (<Managed>0); the managed zip uses the unmanaged form and app definitions.`);
  }
  const solutionBase = parseXml(await fs.promises.readFile(info.manifestPath, 'utf8'), 'Other/Solution.xml');
  const variants: Variant[] = packageType === 'Both' ? ['unmanaged', 'managed'] : [packageType === 'Managed' ? 'managed' : 'unmanaged'];
  const outputFolder = options.outputFolder ?? process.cwd();
  const targets = variants.map((variant) => {
    const managed = variant === 'managed';
    return path.resolve((managed ? options.managedZipPath : options.unmanagedZipPath) ?? path.join(outputFolder, defaultZipName(info.manifest.uniqueName, version, managed)));
  });
  if (targets.length === 2 && targets[0] === targets[1]) {
    throw new UserError(`The unmanaged and the managed zip would both be written to '${targets[0]}'.`, 'Give them different paths.');
  }
  // customizations.xml of each variant is merged into a working folder removed afterwards, so a failure (missing
  // files, malformed XML) leaves the output folder as it was.
  const plan = await withWorkFolder(path.dirname(targets[0]), logger, async (work) => {
    const merged = await mergeToFiles(ctx, variants, work);
    if (merged.missing.length > 0) throw new MissingContentError(dedupeMissing(merged.missing), info.solutionRoot);
    await writeAllOrNone(variants.map((variant, i) => ({
      target: targets[i],
      entries: zipEntries(merged, customizationsFile(work, variant), solutionFor(solutionBase, variant, options.version)),
    })));
    return merged;
  });
  const result: PackResult = { uniqueName: info.manifest.uniqueName, version, packageType, folder: info, warnings: [...new Set(plan.warnings)] };
  for (const [i, variant] of variants.entries()) {
    logger.info(`Packed ${variant} solution ${info.manifest.uniqueName} ${version} → ${targets[i]}.`);
    if (variant === 'managed') result.managedZipPath = targets[i]; else result.unmanagedZipPath = targets[i];
  }
  for (const w of result.warnings) logger.warn(w);
  return result;
}

function customizationsFile(work: string, variant: Variant): string {
  return path.join(work, `${variant}.customizations.xml`);
}

/**
 * Both zips or neither: each is written to a staging name beside its target; only when every zip is complete are
 * the previous zips moved aside and the new ones renamed into place, and if that fails the previous ones come back.
 */
async function writeAllOrNone(zips: Array<{ target: string; entries: ZipWriteEntry[] }>): Promise<void> {
  const written: string[] = [];
  try {
    for (const zip of zips) {
      const target = await fs.promises.stat(zip.target).catch(() => undefined);
      if (target?.isDirectory()) throw new UserError(`Cannot write the zip '${zip.target}': a folder of that name exists.`, 'Give a file path for the zip, or remove that folder.');
      await writeZip(stagingName(zip.target), zip.entries);
      written.push(stagingName(zip.target));
    }
    await replaceAll(zips.map((z) => z.target));
  } finally {
    // Only what was written: removing a staging name under an unusable folder would hide the real error.
    for (const f of written) await fs.promises.rm(f, { force: true });
  }
}

async function replaceAll(targets: string[]): Promise<void> {
  const movedAside: string[] = [];
  const placed: string[] = [];
  try {
    for (const t of targets) {
      if (!fs.existsSync(t)) continue;
      await fs.promises.rename(t, previousName(t));
      movedAside.push(t);
    }
    for (const t of targets) {
      await fs.promises.rename(stagingName(t), t);
      placed.push(t);
    }
  } catch (err) {
    for (const t of placed) await fs.promises.rm(t, { force: true }).catch(() => undefined);
    const stranded: string[] = [];
    for (const t of movedAside) await fs.promises.rename(previousName(t), t).catch(() => stranded.push(`'${t}' is now '${previousName(t)}'`));
    const kept = stranded.length === 0 ? 'the previous files are kept' : `the previous files could not all be put back: ${stranded.join(', ')}`;
    throw new UserError(`Cannot put the packed zips in place (${(err as Error).message}); ${kept}.`, 'Check that the output files are not open in another program and that the folder is writable.');
  }
  for (const t of movedAside) await fs.promises.rm(previousName(t), { force: true }).catch(() => undefined);
}

function previousName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.previous`);
}

function stagingName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.staged`);
}

function dedupeMissing(list: MissingFile[]): MissingFile[] {
  const seen = new Map<string, MissingFile>();
  for (const m of list) if (!seen.has(m.path)) seen.set(m.path, m);
  return [...seen.values()];
}
