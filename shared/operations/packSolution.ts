/**
 * pack-version (DataversePackSolution): an unpacked solution folder → versioned, deterministic
 * unmanaged and/or managed zips. Validation (folder, XML, version, every referenced file) happens before
 * anything is written; the zips are written to a temporary name and renamed when complete.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core';
import {
  applyVersionPattern, compareVersions, inspectSolutionFolder, packSolution as packSolutionTree, parseVersion,
  type PackageType, type SolutionFolderInfo,
} from '../solution';
import type { Reporter } from './reporter';

export type PackageTypeChoice = 'both' | 'unmanaged' | 'managed';
export const PACKAGE_TYPE_CHOICES: readonly PackageTypeChoice[] = ['both', 'unmanaged', 'managed'];

export interface PackSolutionOptions {
  sourceFolder: string;
  packageType: PackageTypeChoice;
  outputFolder: string;
  /** Empty/undefined keeps the source version; `1.4.2.0`; or a pattern such as `*.*.123.0`. */
  version?: string;
  mapFile?: string;
  /** Also write the new version into the source Solution.xml. */
  updateSourceVersion: boolean;
}

export interface PackSolutionResult {
  solutionName: string;
  solutionVersion: string;
  sourceVersion: string;
  layout: SolutionFolderInfo['layout'];
  unmanagedSolutionFile?: string;
  managedSolutionFile?: string;
  /** Root components by type name, e.g. { Entity: 3, WebResource: 2 }. */
  componentCounts: Record<string, number>;
  sourceVersionUpdated: boolean;
}

const PACKAGE_TYPES: Record<PackageTypeChoice, PackageType> = { both: 'Both', unmanaged: 'Unmanaged', managed: 'Managed' };

/** Solution component type codes (protocol.md; Dataverse `solutioncomponent.componenttype`) for the log. */
const COMPONENT_TYPE_NAMES: Record<string, string> = {
  1: 'Entity', 2: 'Attribute', 3: 'Relationship', 9: 'OptionSet', 10: 'EntityRelationship', 14: 'EntityKey',
  20: 'Role', 24: 'Form', 26: 'SavedQuery', 29: 'Workflow', 31: 'Report', 36: 'EmailTemplate', 59: 'SavedQueryVisualization',
  60: 'SystemForm', 61: 'WebResource', 62: 'SiteMap', 63: 'ConnectionRole', 65: 'HierarchyRule', 66: 'CustomControl',
  70: 'FieldSecurityProfile', 80: 'AppModule', 90: 'PluginType', 91: 'PluginAssembly', 92: 'SDKMessageProcessingStep',
  95: 'ServiceEndpoint', 150: 'RoutingRule', 300: 'CanvasApp', 371: 'Connector', 372: 'Connector',
  380: 'EnvironmentVariableDefinition', 381: 'EnvironmentVariableValue', 400: 'AIProjectType', 401: 'AIProject',
  402: 'AIConfiguration', 430: 'EntityAnalyticsConfiguration',
};

export async function packSolution(options: PackSolutionOptions, reporter: Reporter): Promise<PackSolutionResult> {
  if (/\$\(/.test(options.outputFolder)) {
    throw new UserError(`Output folder '${options.outputFolder}' holds an unexpanded pipeline variable.`,
      "Set 'outputFolder' to a real path (the default $(Build.ArtifactStagingDirectory) exists only inside a pipeline).");
  }
  checkOutputFolder(options.outputFolder);

  const info = await reporter.group('Inspect the solution folder', async () => {
    const found = inspectSolutionFolder(options.sourceFolder);
    reporter.info(`Solution ${found.manifest.uniqueName} ${found.manifest.version} (${describeLayout(found)}).`);
    reporter.info(`Root components: ${describeCounts(countComponents(found)) || 'none'}.`);
    return found;
  });

  const sourceVersion = info.manifest.version;
  const version = resolveVersion(sourceVersion, options.version, info.manifestPath);
  reporter.info(version === sourceVersion
    ? `Version: ${version} (kept from Solution.xml).`
    : `Version: ${version} (Solution.xml has ${sourceVersion}; input '${options.version ?? ''}').`);

  reporter.signal.throwIfAborted();
  const packed = await reporter.group(`Pack ${options.packageType === 'both' ? 'unmanaged and managed' : options.packageType}`, async () => {
    reporter.progress(10, 'Packing');
    const result = await packSolutionTree({
      folder: options.sourceFolder,
      packageType: PACKAGE_TYPES[options.packageType],
      outputFolder: options.outputFolder,
      mapFile: options.mapFile,
      version: version === sourceVersion ? undefined : version,
      logger: reporter,
    });
    for (const file of [result.unmanagedZipPath, result.managedZipPath]) {
      if (file) reporter.info(`${path.basename(file)}: ${formatSize(fs.statSync(file).size)}.`);
    }
    reporter.progress(90, 'Packed');
    return result;
  });

  let sourceVersionUpdated = false;
  if (options.updateSourceVersion && version !== sourceVersion) {
    reporter.signal.throwIfAborted();
    await writeSourceVersion(info.manifestPath, version);
    reporter.info(`Wrote version ${version} into ${info.manifestPath}.`);
    sourceVersionUpdated = true;
  }
  reporter.progress(100, 'Done');

  return {
    solutionName: packed.uniqueName,
    solutionVersion: packed.version,
    sourceVersion,
    layout: info.layout,
    unmanagedSolutionFile: packed.unmanagedZipPath,
    managedSolutionFile: packed.managedZipPath,
    componentCounts: countComponents(info),
    sourceVersionUpdated,
  };
}

/** Refuses an output folder that is, or lies under, an existing file (else mkdir fails with a bare EEXIST/ENOTDIR). */
function checkOutputFolder(outputFolder: string): void {
  const folder = path.resolve(outputFolder);
  for (let p = folder; ; p = path.dirname(p)) {
    const stat = statIfPresent(p);
    if (stat?.isDirectory()) return;
    if (stat) {
      throw new UserError(p === folder
        ? `Input 'outputFolder' (${outputFolder}) is a file, not a folder.`
        : `Input 'outputFolder' (${outputFolder}) cannot be created: '${p}' is a file, not a folder.`,
      "Set 'outputFolder' to a folder (it is created when missing), or move that file away.");
    }
    if (path.dirname(p) === p) return;
  }
}

function statIfPresent(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * Empty keeps the source version; anything with `*` (or a pipeline variable) is a pattern. A result lower than
 * the source version is refused unless the pattern keeps the major and minor parts, since then only the
 * build/revision (typically a build number) moves and may legitimately restart.
 */
export function resolveVersion(sourceVersion: string, requested: string | undefined, manifestPath: string): string {
  const text = requested?.trim();
  if (!text) return sourceVersion;
  const unexpanded = /\$\([^)]*\)/.exec(text);
  if (unexpanded) {
    throw new UserError(`Input 'version' ('${text}') holds the pipeline variable ${unexpanded[0]}, which was not expanded.`,
      'Check the variable name (Azure Pipelines leaves unknown variables as they are), e.g. *.*.$(Build.BuildId).0.');
  }
  const isPattern = text.includes('*');
  const version = isPattern ? applyVersionPattern(sourceVersion, text, "Input 'version'") : parseVersion(text, "Input 'version'").text;
  const keepsMajorMinor = isPattern && text.split('.').slice(0, 2).every((p) => p === '*');
  if (!keepsMajorMinor && compareVersions(version, sourceVersion) < 0) {
    throw new UserError(
      `Version ${version} (from input 'version' = '${text}') is lower than the source version ${sourceVersion} in ${manifestPath}.`,
      'Use a version at least as high, or a pattern that keeps the major and minor parts such as *.*.$(Build.BuildId).0.');
  }
  return version;
}

/** Replaces only the manifest's <Version> text, keeping the rest of the file byte for byte. */
async function writeSourceVersion(manifestPath: string, version: string): Promise<void> {
  const text = await fs.promises.readFile(manifestPath, 'utf8');
  const pattern = /(<SolutionManifest\b[\s\S]*?<Version>)([^<]*)(<\/Version>)/;
  if (!pattern.test(text)) {
    throw new UserError(`Cannot write the version into ${manifestPath}: no <SolutionManifest>…<Version> element found.`);
  }
  const temp = `${manifestPath}.${process.pid}.tmp`;
  await fs.promises.writeFile(temp, text.replace(pattern, `$1${version}$3`), 'utf8');
  await fs.promises.rename(temp, manifestPath);
}

function countComponents(info: SolutionFolderInfo): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const component of info.manifest.rootComponents) {
    const name = COMPONENT_TYPE_NAMES[component.type] ?? `type ${component.type}`;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)).map(([name, n]) => `${name} ${n}`).join(', ');
}

function describeLayout(info: SolutionFolderInfo): string {
  switch (info.layout) {
    case 'project': return `pac project ${path.basename(info.projectFile ?? '')}, tree in ${path.relative(info.folder, info.solutionRoot) || '.'}`;
    case 'src': return 'src/ tree';
    case 'flat': return 'SolutionPackager folder';
  }
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
