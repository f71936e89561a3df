/**
 * Finding the solution tree in a folder: a pac solution project (`*.cdsproj` + SolutionRootPath, usually `src/`),
 * a `src/` tree without a project, or a flat SolutionPackager folder (`Other/Solution.xml` at the top).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core';
import { childElements, parseXml, textOf } from './xml';
import { readManifest, SolutionManifest } from './manifest';

export type PackageType = 'Unmanaged' | 'Managed' | 'Both';
export type FolderLayout = 'project' | 'src' | 'flat';

export interface SolutionFolderInfo {
  layout: FolderLayout;
  /** The folder that was given. */
  folder: string;
  /** The folder holding `Other/` (the solution tree). */
  solutionRoot: string;
  projectFile?: string;
  /** From the cdsproj when it says so. */
  projectPackageType?: PackageType;
  /** Absolute path of the cdsproj's SolutionPackageMapFilePath. */
  projectMapFile?: string;
  manifest: SolutionManifest;
  /** Path of Other/Solution.xml as found on disk. */
  manifestPath: string;
}

export function parsePackageType(value: string, what: string): PackageType {
  const v = value.trim().toLowerCase();
  if (v === 'unmanaged') return 'Unmanaged';
  if (v === 'managed') return 'Managed';
  if (v === 'both') return 'Both';
  throw new UserError(`${what}: package type '${value}' is not Unmanaged, Managed or Both.`);
}

/** Finds `rel` under `dir` matching each segment case-insensitively. */
export function findPathIgnoringCase(dir: string, rel: string): string | undefined {
  let current = dir;
  for (const seg of rel.split('/')) {
    if (!fs.existsSync(current) || !fs.statSync(current).isDirectory()) return undefined;
    const exact = path.join(current, seg);
    if (fs.existsSync(exact)) { current = exact; continue; }
    const match = fs.readdirSync(current).find((n) => n.toLowerCase() === seg.toLowerCase());
    if (!match) return undefined;
    current = path.join(current, match);
  }
  return current;
}

interface ProjectSettings { rootPath: string; packageType?: PackageType; mapFile?: string }

function readProject(file: string): ProjectSettings {
  const root = parseXml(fs.readFileSync(file, 'utf8'), path.basename(file));
  // MSBuild: the last definition of a property wins; commented-out ones are not elements.
  const values = new Map<string, string>();
  for (const group of childElements(root, 'PropertyGroup')) {
    for (const prop of childElements(group)) values.set(prop.name, textOf(prop));
  }
  const expand = (v: string) => v.replace(/\$\(MSBuildThisFileDirectory\)|\$\(MSBuildProjectDirectory\)/g, '');
  const rootPath = expand(values.get('SolutionRootPath') ?? 'src').replace(/\\/g, '/');
  const packageType = values.get('SolutionPackageType');
  const mapFile = values.get('SolutionPackageMapFilePath');
  return {
    rootPath: rootPath || '.',
    packageType: packageType ? parsePackageType(packageType, path.basename(file)) : undefined,
    mapFile: mapFile ? path.resolve(path.dirname(file), expand(mapFile).replace(/\\/g, '/')) : undefined,
  };
}

/** The pac project in `folder` (its .cdsproj and solution tree root), if there is exactly one; several is an error. */
export function findSolutionProject(folder: string): { projectFile: string; solutionRoot: string; packageType?: PackageType; mapFile?: string } | undefined {
  const projects = fs.readdirSync(folder).filter((n) => n.toLowerCase().endsWith('.cdsproj')).sort();
  if (projects.length > 1) {
    throw new UserError(`Folder '${folder}' holds several solution projects (${projects.join(', ')}).`, 'Point the task at a folder with one .cdsproj, or at the solution tree itself.');
  }
  if (projects.length === 0) return undefined;
  const projectFile = path.join(folder, projects[0]);
  const settings = readProject(projectFile);
  return { projectFile, solutionRoot: path.resolve(folder, settings.rootPath), packageType: settings.packageType, mapFile: settings.mapFile };
}

/** Detects the layout and reads the manifest. Throws UserError explaining what was expected when it is not a solution folder. */
export function inspectSolutionFolder(folder: string): SolutionFolderInfo {
  const abs = path.resolve(folder);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
    throw new UserError(`Solution folder '${folder}' does not exist or is not a folder.`);
  }
  const project = findSolutionProject(abs);
  const projectFile = project?.projectFile;
  let layout: FolderLayout;
  let solutionRoot: string;
  if (project) {
    layout = 'project';
    solutionRoot = project.solutionRoot;
  } else if (findPathIgnoringCase(abs, 'Other/Solution.xml')) {
    layout = 'flat';
    solutionRoot = abs;
  } else if (findPathIgnoringCase(abs, 'src/Other/Solution.xml')) {
    layout = 'src';
    solutionRoot = findPathIgnoringCase(abs, 'src') as string;
  } else if (findPathIgnoringCase(abs, 'solution.xml') && findPathIgnoringCase(abs, 'customizations.xml')) {
    throw new UserError(`Folder '${folder}' is an extracted solution zip (solution.xml, customizations.xml at the top), not an unpacked solution.`,
      'Zip it back as it was, or unpack the zip with this task (export with unpack) to get the source-control layout.');
  } else {
    throw new UserError(`Folder '${folder}' is not an unpacked solution: no Other/Solution.xml, src/Other/Solution.xml or *.cdsproj found.`,
      'Point the task at the folder that holds Other/ (or at the pac project folder with the .cdsproj).');
  }
  const manifestPath = findPathIgnoringCase(solutionRoot, 'Other/Solution.xml');
  if (!manifestPath) {
    throw new UserError(`Solution tree '${solutionRoot}' has no Other/Solution.xml${projectFile ? ` (SolutionRootPath of ${path.basename(projectFile)})` : ''}.`);
  }
  const manifest = readManifest(parseXml(fs.readFileSync(manifestPath, 'utf8'), 'Other/Solution.xml'), 'Other/Solution.xml');
  return {
    layout, folder: abs, solutionRoot, projectFile, manifest, manifestPath,
    projectPackageType: project?.packageType, projectMapFile: project?.mapFile,
  };
}
