/**
 * Merges a solution tree back into customizations.xml and lists every content file with its zip path, for one
 * zip (unmanaged or managed). Two passes keep memory flat however large the solution is:
 * `planPackage` reads every component once to find all referenced files (nothing is written, so every missing
 * file is reported together before any output exists), then `writeCustomizations` reads them again and streams
 * customizations.xml out one component at a time; only one component's XML tree is in memory at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '../core';
import { FileIndex, compareOrdinal, readTextFile, toNative } from './fs-walk';
import { MapResolver } from './mapping';
import { attr, childElements, childI, element, isElement, openTag, parseXml, serializeElement, textOf, XmlElement } from './xml';
import {
  baseName, isManagedTwin, isPassThroughFolder, isSourceOnlyPath, isSplitFolder, managedTwin, section, webResourceZipName, XSI_NAMESPACE, zipPathOf,
} from './tree-sections';

export type Variant = 'unmanaged' | 'managed';

export interface MissingFile {
  /** Path relative to the solution tree. */
  path: string;
  /** The tree file that references it. */
  referencedBy: string;
  /** Where a map rule pointed, when one matched but its target does not exist. */
  mappedTo?: string;
  /** Extra explanation (e.g. a canvas app present only as source). */
  note?: string;
}

export interface PlannedFile {
  zipName: string;
  source: string;
}

export interface PackPlan {
  variant: Variant;
  /** Other/Customizations.xml with every section the tree fills present (still empty). */
  skeleton: XmlElement;
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

type Emit = (el: XmlElement) => Promise<void>;

class Planner {
  readonly files = new Map<string, string>();
  readonly missing: MissingFile[] = [];
  readonly warnings: string[] = [];
  readonly consumed = new Set<string>();

  constructor(readonly ctx: TreeContext, readonly variant: Variant) {}

  /** Reads a component file; the xsi namespace SolutionPackager repeats on each file's root is declared once on customizations.xml. */
  async readXml(rel: string): Promise<XmlElement> {
    this.consumed.add(rel);
    const root = parseXml(readTextFile(toNative(this.ctx.root, rel)), rel);
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
    if (own && !mapped.rule) { this.files.set(zipName, toNative(this.ctx.root, own)); return; }
    this.missing.push({ path: treeRel, referencedBy, mappedTo: mapped.missingTarget, note: this.canvasSourceNote(treeRel) });
  }

  /** A canvas app kept only as source (pac --processCanvasApps) cannot be rebuilt here: say so. */
  private canvasSourceNote(treeRel: string): string | undefined {
    const m = /^CanvasApps\/(.+)_DocumentUri\.msapp$/i.exec(treeRel);
    if (!m) return undefined;
    const sources = [`CanvasApps/${m[1]}_DocumentUri_msapp_src/`, `CanvasApps/src/${m[1]}/`];
    const found = sources.find((s) => this.ctx.index.under(s.slice(0, -1)).length > 0);
    return found ? `only the canvas source folder ${found} exists; building an .msapp from source needs pac (pac canvas pack), so commit the .msapp or supply it through a map file` : undefined;
  }

  /** Picks the variant's file: `X_managed.xml` for managed packs when present. */
  variantFile(rel: string): string {
    const twin = this.ctx.index.resolve(managedTwin(rel));
    if (!twin) return rel;
    this.consumed.add(this.variant === 'managed' ? rel : twin);
    return this.variant === 'managed' ? twin : rel;
  }

  /** Direct child folders of `dir` (relative), sorted. */
  subfolders(dir: string): string[] {
    const prefixLength = dir.length + 1;
    const names = new Set<string>();
    for (const f of this.ctx.index.under(dir)) {
      const slash = f.indexOf('/', prefixLength);
      if (slash > 0) names.add(f.slice(0, slash));
    }
    return [...names].sort(compareOrdinal);
  }

  filesIn(dir: string, suffix: string): string[] {
    const prefixLength = dir.length + 1;
    return this.ctx.index.under(dir).filter((f) => !f.slice(prefixLength).includes('/') && f.toLowerCase().endsWith(suffix.toLowerCase()));
  }

  filesUnder(dir: string, suffix: string): string[] {
    return this.ctx.index.under(dir).filter((f) => f.toLowerCase().endsWith(suffix));
  }
}

function childOrAppend(parent: XmlElement, name: string): XmlElement {
  const found = childI(parent, name);
  if (found) return found;
  const el = element(name);
  parent.children.push(el);
  return el;
}

async function entities(p: Planner, emit: Emit): Promise<void> {
  for (const dir of p.subfolders('Entities')) {
    const entityFile = p.ctx.index.resolve(`${dir}/Entity.xml`);
    if (!entityFile) continue;
    const entity = await p.readXml(entityFile);
    const forms = p.subfolders(`${dir}/FormXml`);
    if (forms.length > 0) {
      const formXml = childOrAppend(entity, 'FormXml');
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
      const list = element('savedqueries');
      for (const view of views) list.children.push(...(await p.readWrapped(view, 'savedqueries')));
      childOrAppend(entity, 'SavedQueries').children.push(list);
    }
    const charts = p.filesIn(`${dir}/Visualizations`, '.xml');
    if (charts.length > 0) {
      const target = childOrAppend(entity, 'Visualizations');
      for (const chart of charts) target.children.push(...(await p.readWrapped(chart, 'visualizations')));
    }
    const ribbonFile = p.ctx.index.resolve(`${dir}/RibbonDiff.xml`);
    if (ribbonFile) {
      const ribbon = await p.readXml(ribbonFile);
      const i = entity.children.findIndex((c) => isElement(c) && c.name.toLowerCase() === ribbon.name.toLowerCase());
      if (i >= 0) entity.children[i] = ribbon; else entity.children.push(ribbon);
    }
    for (const formula of p.filesIn(`${dir}/Formulas`, '')) await p.addContent(formula, `Formulas/${baseName(formula)}`, entityFile);
    await emit(entity);
  }
}

/** A folder with one XML file per component. */
const flat = (dir: string) => async (p: Planner, emit: Emit): Promise<void> => {
  for (const f of p.filesIn(dir, '.xml')) await emit(await p.readXml(f));
};

/** A whole-section file under Other/ (EntityMaps.xml, FieldSecurityProfiles.xml): its children fill the section. */
const wholeSection = (rel: string) => async (p: Planner, emit: Emit): Promise<void> => {
  const file = p.ctx.index.resolve(rel);
  if (!file) return;
  for (const el of childElements(await p.readXml(file))) await emit(el);
};

async function relationships(p: Planner, emit: Emit): Promise<void> {
  const listFile = p.ctx.index.resolve('Other/Relationships.xml');
  const listed = listFile ? childElements(await p.readXml(listFile), 'EntityRelationship').map((r) => attr(r, 'Name') ?? '') : [];
  // Emitted in the order of Relationships.xml, then any defined but not listed; one entity file at a time.
  const files = p.filesIn('Other/Relationships', '.xml');
  const fileOf = new Map<string, string>();
  for (const f of files) for (const rel of childElements(await p.readXml(f), 'EntityRelationship')) fileOf.set(attr(rel, 'Name') ?? '', f);
  const order = [...listed, ...[...fileOf.keys()].filter((n) => !listed.includes(n))];
  let cached: { file: string; byName: Map<string, XmlElement> } | undefined;
  for (const name of order) {
    const file = fileOf.get(name);
    if (!file) {
      p.warnings.push(`Other/Relationships.xml lists relationship '${name}' but no file under Other/Relationships/ defines it; it is left out.`);
      continue;
    }
    if (cached?.file !== file) {
      cached = { file, byName: new Map(childElements(await p.readXml(file), 'EntityRelationship').map((r) => [attr(r, 'Name') ?? '', r])) };
    }
    await emit(cached.byName.get(name) as XmlElement);
  }
}

async function workflows(p: Planner, emit: Emit): Promise<void> {
  for (const f of p.filesIn('Workflows', '.data.xml')) {
    const wf = await p.readXml(f);
    for (const ref of ['JsonFileName', 'XamlFileName']) {
      const value = textOf(childI(wf, ref));
      if (value) await p.addContent(zipPathOf(value), zipPathOf(value), f);
    }
    await emit(wf);
  }
}

async function webResources(p: Planner, emit: Emit): Promise<void> {
  for (const f of p.filesUnder('WebResources', '.data.xml')) {
    const wr = await p.readXml(f);
    const declared = textOf(childI(wr, 'FileName'));
    const zipName = declared ? zipPathOf(declared) : webResourceZipName(textOf(childI(wr, 'Name')), textOf(childI(wr, 'WebResourceId')));
    await p.addContent(f.slice(0, -'.data.xml'.length), zipName, f);
    await emit(wr);
  }
}

async function customControls(p: Planner, emit: Emit): Promise<void> {
  for (const f of p.filesUnder('Controls', '.data.xml')) {
    const cc = await p.readXml(f);
    const manifest = textOf(childI(cc, 'FileName'));
    if (manifest) await p.addContent(zipPathOf(manifest), zipPathOf(manifest), f);
    // The control's bundle, strings, css… sit beside the manifest and travel unchanged.
    for (const other of p.ctx.index.under(path.posix.dirname(f))) {
      if (!other.toLowerCase().endsWith('.data.xml') && !p.files.has(other)) await p.addContent(other, other, f);
    }
    await emit(cc);
  }
}

async function pluginAssemblies(p: Planner, emit: Emit): Promise<void> {
  for (const f of p.filesUnder('PluginAssemblies', '.data.xml')) {
    const asm = await p.readXml(f);
    const fileName = textOf(childI(asm, 'FileName'));
    const rel = fileName ? zipPathOf(fileName) : f.slice(0, -'.data.xml'.length);
    await p.addContent(rel, rel, f);
    await emit(asm);
  }
}

/** AppModules/<name>/AppModule.xml and AppModuleSiteMaps/<name>/AppModuleSiteMap.xml, with `_managed` twins. */
const appFolders = (dir: string, fileName: string) => async (p: Planner, emit: Emit): Promise<void> => {
  for (const d of p.subfolders(dir)) {
    const f = p.ctx.index.resolve(`${d}/${fileName}`);
    if (f) await emit(await p.readXml(p.variantFile(f)));
  }
};

async function canvasApps(p: Planner, emit: Emit): Promise<void> {
  for (const f of p.filesIn('CanvasApps', '.meta.xml')) {
    const app = await p.readXml(f);
    const refs = [textOf(childI(app, 'DocumentUri')), textOf(childI(app, 'BackgroundImageUri'))];
    const additional = childI(app, 'AdditionalUris');
    if (additional) refs.push(...childElements(additional).map((u) => textOf(u)));
    for (const ref of refs.filter((r) => r)) await p.addContent(zipPathOf(ref), zipPathOf(ref), f);
    await emit(app);
  }
}

async function connectors(p: Planner, emit: Emit): Promise<void> {
  for (const f of p.filesIn('Connectors', '.xml')) {
    const connector = await p.readXml(f);
    for (const c of childElements(connector)) {
      const value = textOf(c);
      // The metadata points at the zip folder Connector/ (singular); the tree keeps the files in Connectors/.
      if (/^\/Connector\//i.test(value)) await p.addContent(`Connectors/${value.slice('/Connector/'.length)}`, zipPathOf(value), f);
    }
    await emit(connector);
  }
}

/** customizations.xml section → how the tree fills it, in the order pack reads the tree. */
const PRODUCERS: Array<[string, (p: Planner, emit: Emit) => Promise<void>]> = [
  ['Entities', entities],
  ['Roles', flat('Roles')],
  ['Workflows', workflows],
  ['FieldSecurityProfiles', wholeSection('Other/FieldSecurityProfiles.xml')],
  ['EntityMaps', wholeSection('Other/EntityMaps.xml')],
  ['EntityRelationships', relationships],
  ['optionsets', flat('OptionSets')],
  ['WebResources', webResources],
  ['CustomControls', customControls],
  ['SolutionPluginAssemblies', pluginAssemblies],
  ['SdkMessageProcessingSteps', flat('SdkMessageProcessingSteps')],
  ['AppModuleSiteMaps', appFolders('AppModuleSiteMaps', 'AppModuleSiteMap.xml')],
  ['AppModules', appFolders('AppModules', 'AppModule.xml')],
  ['CanvasApps', canvasApps],
  ['Connectors', connectors],
  ['Dashboards', flat('Dashboards')],
];

function producerFor(sectionName: string) {
  return PRODUCERS.find(([name]) => name.toLowerCase() === sectionName.toLowerCase())?.[1];
}

/** Component folders pack does not split (environment variables, custom APIs, bots, …) travel unchanged. */
async function addPassThrough(p: Planner): Promise<void> {
  const unknown = new Map<string, number>();
  for (const f of p.ctx.index.files) {
    const slash = f.indexOf('/');
    if (slash < 0 || f.startsWith('.') || isSplitFolder(f.slice(0, slash))) continue;
    const top = f.slice(0, slash);
    if (!isPassThroughFolder(top)) unknown.set(top, (unknown.get(top) ?? 0) + 1);
    await p.addContent(f, f, f);
  }
  for (const [top, n] of unknown) p.ctx.logger.info(`pack: folder '${top}/' is not a known component folder; its ${n} file(s) are packed unchanged at the same path.`);
}

async function readSkeleton(ctx: TreeContext): Promise<XmlElement | undefined> {
  const file = ctx.index.resolve('Other/Customizations.xml');
  return file ? parseXml(await fs.promises.readFile(toNative(ctx.root, file), 'utf8'), file) : undefined;
}

/** Pass 1: reads every component to list the zip's files and everything missing. Writes nothing. */
export async function planPackage(ctx: TreeContext, variant: Variant): Promise<PackPlan> {
  const p = new Planner(ctx, variant);
  const skeleton = await readSkeleton(ctx);
  if (!skeleton) {
    return { variant, skeleton: element('ImportExportXml'), files: [], missing: [{ path: 'Other/Customizations.xml', referencedBy: 'Other/Solution.xml' }], warnings: [] };
  }
  for (const f of ['Other/Customizations.xml', 'Other/Solution.xml']) p.consumed.add(ctx.index.resolve(f) ?? f);
  for (const [name, produce] of PRODUCERS) {
    let count = 0;
    await produce(p, async () => { count++; });
    if (count > 0) section(skeleton, name);
  }
  await addPassThrough(p);
  for (const f of ctx.index.files) {
    if (f.includes('/') && !p.consumed.has(f) && isSplitFolder(f.slice(0, f.indexOf('/'))) && !isSourceOnlyPath(f)) {
      ctx.logger.debug(`pack: '${f}' is not part of any component and is not packed.`);
    }
  }
  const files = [...p.files.entries()].map(([zipName, source]) => ({ zipName, source })).sort((a, b) => compareOrdinal(a.zipName, b.zipName));
  return { variant, skeleton, files, missing: p.missing, warnings: p.warnings };
}

/** Pass 2: streams customizations.xml (no BOM or declaration, as in exported zips) to `write`, one component at a time. */
export async function writeCustomizations(ctx: TreeContext, plan: PackPlan, write: (chunk: string) => Promise<void>): Promise<void> {
  const p = new Planner(ctx, plan.variant);
  const root = plan.skeleton;
  await write(`${openTag(root)}>\n`);
  for (const node of root.children) {
    if (!isElement(node)) continue;
    const produce = producerFor(node.name);
    if (!produce) { await write(serializeElement(node, 1)); continue; }
    const existing = node.children.filter(isElement);
    let opened = false;
    const open = async () => {
      if (opened) return;
      opened = true;
      await write(`  ${openTag(node)}>\n`);
      for (const e of existing) await write(serializeElement(e, 2));
    };
    await produce(p, async (el) => { await open(); await write(serializeElement(el, 2)); });
    if (opened) await write(`  </${node.name}>\n`);
    else await write(serializeElement(node, 1));
  }
  await write(`</${root.name}>`);
}

/** The merged customizations.xml as a tree (for reading a folder's contents; small and medium solutions). */
export async function buildCustomizations(ctx: TreeContext, plan: PackPlan): Promise<XmlElement> {
  const p = new Planner(ctx, plan.variant);
  const root = plan.skeleton;
  for (const node of root.children) {
    if (!isElement(node)) continue;
    const produce = producerFor(node.name);
    if (produce) await produce(p, async (el) => { node.children.push(el); });
  }
  return root;
}
