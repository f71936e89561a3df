/**
 * Builds the content of one solution zip (unmanaged or managed) from a solution tree: merges the split files
 * back into customizations.xml and lists every content file with its zip path. Nothing is written here, so
 * every missing file can be reported together before any output exists.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '../core';
import { FileIndex, compareOrdinal, toNative } from './fs-walk';
import { MapResolver } from './mapping';
import { attr, childElements, childI, element, isElement, parseXml, textOf, XmlElement } from './xml';
import {
  baseName, isManagedTwin, XSI_NAMESPACE, isSourceOnlyPath, isSplitFolder, managedTwin, section, webResourceZipName, zipPathOf,
} from './tree-sections';

export type Variant = 'unmanaged' | 'managed';

export interface MissingFile {
  /** Path relative to the solution tree. */
  path: string;
  /** The tree file that references it. */
  referencedBy: string;
  /** Where a map rule pointed, when one matched but its target does not exist. */
  mappedTo?: string;
}

export interface PlannedFile {
  zipName: string;
  source: string;
}

export interface PackPlan {
  customizations: XmlElement;
  solution: XmlElement;
  files: PlannedFile[];
  missing: MissingFile[];
  warnings: string[];
}

export interface TreeContext {
  root: string;
  index: FileIndex;
  map?: MapResolver;
  logger: Logger;
}

class Planner {
  readonly files = new Map<string, string>();
  readonly missing: MissingFile[] = [];
  readonly warnings: string[] = [];
  readonly consumed = new Set<string>();

  constructor(readonly ctx: TreeContext, readonly variant: Variant) {}

  /** Reads a component file; the xsi namespace SolutionPackager repeats on each file's root is declared once on customizations.xml. */
  async readXml(rel: string): Promise<XmlElement> {
    this.consumed.add(rel);
    const root = parseXml(await fs.promises.readFile(toNative(this.ctx.root, rel), 'utf8'), rel);
    root.attrs = root.attrs.filter(([k, v]) => !(k === 'xmlns:xsi' && v === XSI_NAMESPACE));
    return root;
  }

  /** Newer SolutionPackager wraps each form in <forms> and each view in <savedqueries>; older versions do not. */
  async readWrapped(rel: string, wrapper: string): Promise<XmlElement[]> {
    const root = await this.readXml(rel);
    return root.name === wrapper ? childElements(root) : [root];
  }

  /** Finds the content for a tree path (map first, then the tree) and adds it to the zip under `zipName`. */
  async addContent(treeRel: string, zipName: string, referencedBy: string): Promise<void> {
    const mapped = this.ctx.map ? await this.ctx.map.resolve(treeRel) : {};
    const own = this.ctx.index.resolve(treeRel);
    if (own) this.consumed.add(own);
    if (mapped.file) { this.files.set(zipName, mapped.file); return; }
    if (own) { this.files.set(zipName, toNative(this.ctx.root, own)); return; }
    this.missing.push({ path: treeRel, referencedBy, mappedTo: mapped.missingTarget });
  }

  /** Picks the variant's file: `X_managed.xml` for managed packs when present. */
  variantFile(rel: string): string {
    if (this.variant === 'managed') {
      const twin = this.ctx.index.resolve(managedTwin(rel));
      if (twin) { this.consumed.add(rel); return twin; }
    } else {
      const twin = this.ctx.index.resolve(managedTwin(rel));
      if (twin) this.consumed.add(twin);
    }
    return rel;
  }

  /** Direct children folders of `dir` (relative), sorted. */
  subfolders(dir: string): string[] {
    const prefix = dir.toLowerCase() + '/';
    const names = new Set<string>();
    for (const f of this.ctx.index.under(dir)) {
      const rest = f.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash > 0) names.add(f.slice(0, prefix.length + slash));
    }
    return [...names].sort(compareOrdinal);
  }

  filesIn(dir: string, suffix: string): string[] {
    const prefix = dir.toLowerCase() + '/';
    return this.ctx.index.under(dir).filter((f) => !f.slice(prefix.length).includes('/') && f.toLowerCase().endsWith(suffix.toLowerCase()));
  }
}

async function addEntities(p: Planner, custom: XmlElement): Promise<void> {
  const entities = section(custom, 'Entities');
  for (const dir of p.subfolders('Entities')) {
    const entityFile = p.ctx.index.resolve(`${dir}/Entity.xml`);
    if (!entityFile) continue;
    const entity = await p.readXml(entityFile);
    const forms = p.subfolders(`${dir}/FormXml`);
    if (forms.length > 0) {
      const formXml = childI(entity, 'FormXml') ?? appendChild(entity, element('FormXml'));
      for (const typeDir of forms) {
        const group = element('forms', [], [['type', baseName(typeDir)]]);
        for (const form of p.filesIn(typeDir, '.xml')) {
          if (isManagedTwin(form)) {
            // A managed-only form (no unmanaged twin) still belongs in the managed package.
            const base = form.replace(/_managed\.xml$/i, '.xml');
            if (p.variant === 'managed' && !p.ctx.index.resolve(base)) group.children.push(...(await p.readWrapped(form, 'forms')));
            else p.consumed.add(form);
            continue;
          }
          group.children.push(...(await p.readWrapped(p.variantFile(form), 'forms')));
        }
        formXml.children.push(group);
      }
    }
    const views = p.filesIn(`${dir}/SavedQueries`, '.xml');
    if (views.length > 0) {
      const saved = childI(entity, 'SavedQueries') ?? appendChild(entity, element('SavedQueries'));
      const list = element('savedqueries');
      for (const view of views) list.children.push(...(await p.readWrapped(view, 'savedqueries')));
      saved.children.push(list);
    }
    const ribbon = p.ctx.index.resolve(`${dir}/RibbonDiff.xml`);
    if (ribbon) replaceOrAppend(entity, await p.readXml(ribbon));
    for (const formula of p.filesIn(`${dir}/Formulas`, '')) {
      await p.addContent(formula, `Formulas/${baseName(formula)}`, entityFile);
    }
    entities.children.push(entity);
  }
}

function appendChild(parent: XmlElement, el: XmlElement): XmlElement {
  parent.children.push(el);
  return el;
}

function replaceOrAppend(parent: XmlElement, el: XmlElement): void {
  const i = parent.children.findIndex((c) => isElement(c) && c.name.toLowerCase() === el.name.toLowerCase());
  if (i >= 0) parent.children[i] = el;
  else parent.children.push(el);
}

/** Folder of one XML file per component → children of a section. */
async function addFlat(p: Planner, custom: XmlElement, sectionName: string, dir: string): Promise<void> {
  const files = p.filesIn(dir, '.xml');
  if (files.length === 0) return;
  const target = section(custom, sectionName);
  for (const f of files) target.children.push(await p.readXml(f));
}

/** A whole-section file under Other/ (EntityMaps.xml, FieldSecurityProfiles.xml) replaces the skeleton section. */
async function addWholeSection(p: Planner, custom: XmlElement, sectionName: string, rel: string): Promise<void> {
  const file = p.ctx.index.resolve(rel);
  if (!file) return;
  const el = await p.readXml(file);
  const target = section(custom, sectionName);
  target.children.push(...el.children.filter(isElement));
}

async function addRelationships(p: Planner, custom: XmlElement): Promise<void> {
  const byName = new Map<string, XmlElement>();
  const order: string[] = [];
  for (const f of p.filesIn('Other/Relationships', '.xml')) {
    for (const rel of childElements(await p.readXml(f), 'EntityRelationship')) {
      const name = attr(rel, 'Name') ?? '';
      if (!byName.has(name)) order.push(name);
      byName.set(name, rel);
    }
  }
  const listFile = p.ctx.index.resolve('Other/Relationships.xml');
  const listed = listFile ? childElements(await p.readXml(listFile), 'EntityRelationship').map((r) => attr(r, 'Name') ?? '') : [];
  if (listed.length === 0 && order.length === 0) return;
  const target = section(custom, 'EntityRelationships');
  const names = [...listed, ...order.filter((n) => !listed.includes(n))];
  for (const name of names) {
    const rel = byName.get(name);
    if (rel) target.children.push(rel);
    else p.warnings.push(`Other/Relationships.xml lists relationship '${name}' but no file under Other/Relationships/ defines it; it is left out.`);
  }
}

async function addWorkflows(p: Planner, custom: XmlElement): Promise<void> {
  const files = p.filesIn('Workflows', '.data.xml');
  if (files.length === 0) return;
  const target = section(custom, 'Workflows');
  for (const f of files) {
    const wf = await p.readXml(f);
    for (const ref of ['JsonFileName', 'XamlFileName']) {
      const value = textOf(childI(wf, ref));
      if (value) await p.addContent(zipPathOf(value), zipPathOf(value), f);
    }
    target.children.push(wf);
  }
}

async function addWebResources(p: Planner, custom: XmlElement): Promise<void> {
  const files = p.ctx.index.under('WebResources').filter((f) => f.toLowerCase().endsWith('.data.xml'));
  if (files.length === 0) return;
  const target = section(custom, 'WebResources');
  for (const f of files) {
    const wr = await p.readXml(f);
    const content = f.slice(0, -'.data.xml'.length);
    const declared = textOf(childI(wr, 'FileName'));
    const zipName = declared ? zipPathOf(declared) : webResourceZipName(textOf(childI(wr, 'Name')), textOf(childI(wr, 'WebResourceId')));
    await p.addContent(content, zipName, f);
    target.children.push(wr);
  }
}

async function addControls(p: Planner, custom: XmlElement): Promise<void> {
  const dataFiles = p.ctx.index.under('Controls').filter((f) => f.toLowerCase().endsWith('.data.xml'));
  if (dataFiles.length === 0) return;
  const target = section(custom, 'CustomControls');
  for (const f of dataFiles) {
    const cc = await p.readXml(f);
    const manifest = textOf(childI(cc, 'FileName'));
    if (manifest) await p.addContent(zipPathOf(manifest), zipPathOf(manifest), f);
    target.children.push(cc);
    // The control's bundle, strings, css… sit beside the manifest and travel unchanged.
    const dir = path.posix.dirname(f);
    for (const other of p.ctx.index.under(dir)) {
      if (other !== f && !p.consumed.has(other) && !other.toLowerCase().endsWith('.data.xml')) await p.addContent(other, other, f);
    }
  }
}

async function addPluginAssemblies(p: Planner, custom: XmlElement): Promise<void> {
  const files = p.ctx.index.under('PluginAssemblies').filter((f) => f.toLowerCase().endsWith('.data.xml'));
  if (files.length === 0) return;
  const target = section(custom, 'SolutionPluginAssemblies');
  for (const f of files) {
    const asm = await p.readXml(f);
    const fileName = textOf(childI(asm, 'FileName'));
    const rel = fileName ? zipPathOf(fileName) : f.slice(0, -'.data.xml'.length);
    await p.addContent(rel, rel, f);
    target.children.push(asm);
  }
}

async function addAppFolders(p: Planner, custom: XmlElement, sectionName: string, dir: string, fileName: string): Promise<void> {
  const folders = p.subfolders(dir);
  const files = folders.map((d) => p.ctx.index.resolve(`${d}/${fileName}`)).filter((f): f is string => f !== undefined);
  if (files.length === 0) return;
  const target = section(custom, sectionName);
  for (const f of files) target.children.push(await p.readXml(p.variantFile(f)));
}

async function addCanvasApps(p: Planner, custom: XmlElement): Promise<void> {
  const metas = p.filesIn('CanvasApps', '.meta.xml');
  if (metas.length === 0) return;
  const target = section(custom, 'CanvasApps');
  for (const f of metas) {
    const app = await p.readXml(f);
    const refs = [textOf(childI(app, 'DocumentUri')), textOf(childI(app, 'BackgroundImageUri'))];
    const additional = childI(app, 'AdditionalUris');
    if (additional) refs.push(...childElements(additional).map((u) => textOf(u)));
    for (const ref of refs.filter((r) => r)) await p.addContent(zipPathOf(ref), zipPathOf(ref), f);
    target.children.push(app);
  }
}

async function addConnectors(p: Planner, custom: XmlElement): Promise<void> {
  const files = p.filesIn('Connectors', '.xml');
  if (files.length === 0) return;
  const target = section(custom, 'Connectors');
  for (const f of files) {
    const connector = await p.readXml(f);
    for (const c of childElements(connector)) {
      const value = textOf(c);
      // The metadata points at the zip folder Connector/ (singular); the tree keeps the files in Connectors/.
      if (/^\/Connector\//i.test(value)) await p.addContent(`Connectors/${value.slice('/Connector/'.length)}`, zipPathOf(value), f);
    }
    target.children.push(connector);
  }
}

async function addPassThrough(p: Planner): Promise<void> {
  for (const f of p.ctx.index.files) {
    const slash = f.indexOf('/');
    if (slash < 0 || f.startsWith('.') || isSplitFolder(f.slice(0, slash))) continue;
    await p.addContent(f, f, f);
  }
}

function reportUnused(p: Planner): void {
  const unused = p.ctx.index.files.filter((f) => f.includes('/') && !p.consumed.has(f) && isSplitFolder(f.slice(0, f.indexOf('/'))) && !isSourceOnlyPath(f));
  for (const f of unused) p.ctx.logger.debug(`pack: '${f}' is not part of any component and is not packed.`);
}

/** Plans one zip. `solution` is the parsed Other/Solution.xml (the caller sets Managed/Version on it). */
export async function planPackage(ctx: TreeContext, variant: Variant, solution: XmlElement): Promise<PackPlan> {
  const p = new Planner(ctx, variant);
  const customFile = ctx.index.resolve('Other/Customizations.xml');
  if (!customFile) {
    p.missing.push({ path: 'Other/Customizations.xml', referencedBy: 'Other/Solution.xml' });
    return { customizations: element('ImportExportXml'), solution, files: [], missing: p.missing, warnings: p.warnings };
  }
  p.consumed.add(customFile);
  const custom = parseXml(await fs.promises.readFile(toNative(ctx.root, customFile), 'utf8'), customFile);
  p.consumed.add(ctx.index.resolve('Other/Solution.xml') ?? '');
  await addEntities(p, custom);
  await addFlat(p, custom, 'Roles', 'Roles');
  await addWorkflows(p, custom);
  await addWholeSection(p, custom, 'FieldSecurityProfiles', 'Other/FieldSecurityProfiles.xml');
  await addWholeSection(p, custom, 'EntityMaps', 'Other/EntityMaps.xml');
  await addRelationships(p, custom);
  await addFlat(p, custom, 'optionsets', 'OptionSets');
  await addWebResources(p, custom);
  await addControls(p, custom);
  await addPluginAssemblies(p, custom);
  await addFlat(p, custom, 'SdkMessageProcessingSteps', 'SdkMessageProcessingSteps');
  await addAppFolders(p, custom, 'AppModuleSiteMaps', 'AppModuleSiteMaps', 'AppModuleSiteMap.xml');
  await addAppFolders(p, custom, 'AppModules', 'AppModules', 'AppModule.xml');
  await addCanvasApps(p, custom);
  await addConnectors(p, custom);
  await addFlat(p, custom, 'Dashboards', 'Dashboards');
  await addPassThrough(p);
  reportUnused(p);
  const files = [...p.files.entries()].map(([zipName, source]) => ({ zipName, source })).sort((a, b) => compareOrdinal(a.zipName, b.zipName));
  return { customizations: custom, solution, files, missing: p.missing, warnings: p.warnings };
}

