/**
 * Merges a solution tree back into customizations.xml and lists every content file with its zip path, for the
 * unmanaged and/or managed zip, in one pass over the tree. Each component file is checked with a streaming XML scan
 * and copied into the output as slices of its own text (only the repeated xsi declaration on its root is
 * dropped), so memory is one component file at a time whatever the size of the solution, and nothing we do not
 * understand is rewritten. Missing files are collected, not thrown, so the caller reports all of them together.
 */
import * as path from 'node:path';
import { Logger } from '../core';
import { FileIndex, compareOrdinal, readTextFile, toNative } from './fs-walk';
import { MapResolver } from './mapping';
import { TextSink } from './text-sink';
import { encodeXmlAttr, openTag } from './xml';
import { rawContent, rawElement, ScannedElement, ScannedXml, scanXml, scannedAttr, scannedChild, scannedText } from './xml-scan';
import {
  baseName, isManagedTwin, isPassThroughFolder, isSourceOnlyPath, isSplitFolder, managedTwin, webResourceZipName, XSI_NAMESPACE, zipPathOf,
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
  /** The same for both variants: only customizations.xml differs between them. */
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

/** The customizations.xml being written, one per variant; most text goes to all of them alike. */
class Outputs implements TextSink {
  constructor(private readonly sinks: ReadonlyMap<Variant, TextSink>) {}

  get variants(): Variant[] {
    return [...this.sinks.keys()];
  }

  write(text: string): void {
    for (const sink of this.sinks.values()) sink.write(text);
  }

  /** The output of one variant (for the parts that differ: `_managed` forms and app definitions). */
  only(variant: Variant): Outputs {
    const sink = this.sinks.get(variant);
    return new Outputs(sink ? new Map([[variant, sink]]) : new Map());
  }
}

/** One customizations.xml section being written: opened on its first component, so empty sections stay as they were. */
class Section {
  private opened = false;

  constructor(private readonly out: Outputs, readonly name: string, private readonly existing?: { doc: ScannedXml; el: ScannedElement }) {}

  /** Writes one component (at section depth), opening the section first if needed. */
  component(write: (out: Outputs) => void): void {
    if (!this.opened) {
      this.opened = true;
      const tag = this.existing ? openTag(this.existing.el) : `<${this.name}`;
      this.out.write(`  ${tag}>`);
      if (this.existing) this.out.write(rawContent(this.existing.doc, this.existing.el));
      this.out.write('\n');
    }
    this.out.write('    ');
    write(this.out);
    this.out.write('\n');
  }

  close(): void {
    if (this.opened) this.out.write(`  </${this.name}>\n`);
    else if (this.existing) this.out.write(`  ${rawElement(this.existing.doc, this.existing.el)}\n`);
  }
}

/** The attributes without the xsi namespace declaration SolutionPackager repeats on each file's root. */
function withoutXsi(attrs: Array<[string, string]>): Array<[string, string]> {
  return attrs.filter(([k, v]) => !(k === 'xmlns:xsi' && v === XSI_NAMESPACE));
}

/** Writes an element as written, without the repeated xsi declaration. */
function writeWithoutXsi(out: TextSink, doc: ScannedXml, el: ScannedElement): void {
  const attrs = withoutXsi(el.attrs);
  if (attrs.length === el.attrs.length) { out.write(rawElement(doc, el)); return; }
  const tag = openTag({ name: el.name, attrs });
  if (el.contentStart === el.end) { out.write(`${tag} />`); return; }
  out.write(`${tag}>`);
  out.write(rawContent(doc, el));
  out.write(`</${el.name}>`);
}

/** Newer SolutionPackager wraps each form in <forms> and each view in <savedqueries>; older versions do not. */
function writeUnwrapped(out: TextSink, doc: ScannedXml, wrapper: string): void {
  if (doc.root.name !== wrapper) { writeWithoutXsi(out, doc, doc.root); return; }
  for (const el of doc.root.children) out.write(rawElement(doc, el));
}

class Merger {
  readonly files = new Map<string, string>();
  readonly missing: MissingFile[] = [];
  readonly warnings: string[] = [];
  readonly consumed = new Set<string>();

  constructor(readonly ctx: TreeContext, readonly out: Outputs) {}

  /** Reads and checks a component file (elements recorded `depth` levels below its root). */
  scan(rel: string, depth = 2): ScannedXml {
    this.consumed.add(rel);
    return scanXml(readTextFile(toNative(this.ctx.root, rel)), rel, depth);
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

  /** The file each variant uses: `X_managed.xml` for the managed zip when present, else `X.xml`. */
  variantFiles(rel: string): Record<Variant, string> {
    const twin = this.ctx.index.resolve(managedTwin(rel));
    if (twin) this.consumed.add(twin);
    return { unmanaged: rel, managed: twin ?? rel };
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

  /** A component whose file is copied whole (the same for every variant). */
  copy(section: Section, doc: ScannedXml): void {
    section.component((out) => writeWithoutXsi(out, doc, doc.root));
  }
}

type Producer = (m: Merger, section: Section) => Promise<void>;

/** What an entity folder adds inside <Entity>: each part fills (or is appended as) the child of that name. */
interface EntityPart {
  name: string;
  write: (out: Outputs) => void;
}

function entityParts(m: Merger, dir: string): EntityPart[] {
  const parts: EntityPart[] = [];
  const forms = m.subfolders(`${dir}/FormXml`);
  if (forms.length > 0) {
    const groups = forms.map((typeDir) => ({ type: baseName(typeDir), forms: formFiles(m, typeDir) }));
    parts.push({
      name: 'FormXml',
      write: (out) => {
        for (const group of groups) {
          out.write(`<forms type="${encodeXmlAttr(group.type)}">`);
          for (const files of group.forms) writeVariants(m, out, files, (o, doc) => writeUnwrapped(o, doc, 'forms'));
          out.write('</forms>');
        }
      },
    });
  }
  const views = m.filesIn(`${dir}/SavedQueries`, '.xml');
  if (views.length > 0) {
    parts.push({
      name: 'SavedQueries',
      write: (out) => {
        out.write('<savedqueries>');
        for (const v of views) writeUnwrapped(out, m.scan(v, 1), 'savedqueries');
        out.write('</savedqueries>');
      },
    });
  }
  const charts = m.filesIn(`${dir}/Visualizations`, '.xml');
  if (charts.length > 0) parts.push({ name: 'Visualizations', write: (out) => { for (const c of charts) writeUnwrapped(out, m.scan(c, 1), 'visualizations'); } });
  return parts;
}

/** The forms of one type folder, each with the file every variant uses: `X_managed.xml` replaces `X.xml` in managed packs. */
function formFiles(m: Merger, typeDir: string): Array<Partial<Record<Variant, string>>> {
  const forms: Array<Partial<Record<Variant, string>>> = [];
  for (const form of m.filesIn(typeDir, '.xml')) {
    if (!isManagedTwin(form)) { forms.push(m.variantFiles(form)); continue; }
    m.consumed.add(form);
    // A managed-only form (no unmanaged twin) still belongs in the managed package.
    if (!m.ctx.index.resolve(form.replace(/_managed\.xml$/i, '.xml'))) forms.push({ managed: form });
  }
  return forms;
}

/** Writes inside a component what may come from a different file per variant; a shared file is read once. */
function writeVariants(m: Merger, out: Outputs, files: Partial<Record<Variant, string>>, write: (out: Outputs, doc: ScannedXml) => void): void {
  const wanted = out.variants.filter((v) => files[v] !== undefined);
  if (wanted.length === out.variants.length && wanted.every((v) => files[v] === files[wanted[0]])) {
    write(out, m.scan(files[wanted[0]] as string, 1));
    return;
  }
  for (const v of wanted) write(out.only(v), m.scan(files[v] as string, 1));
}

/** Writes <Entity> with its forms, views and charts merged in and its ribbon replaced by RibbonDiff.xml. */
function writeEntity(out: Outputs, doc: ScannedXml, parts: EntityPart[], ribbon: ScannedXml | undefined): void {
  const entity = doc.root;
  const filled = (name: string) => parts.find((p) => p.name.toLowerCase() === name.toLowerCase());
  const isRibbon = (el: ScannedElement) => ribbon !== undefined && el.name.toLowerCase() === ribbon.root.name.toLowerCase();
  const done = new Set<string>();
  writeOpenTag(out, entity);
  let cursor = entity.contentStart;
  for (const el of entity.children) {
    const part = filled(el.name);
    if (!part && !isRibbon(el)) continue;
    out.write(doc.text.slice(cursor, el.start));
    cursor = el.end;
    if (part && !done.has(part.name)) {
      done.add(part.name);
      writeOpenTag(out, el);
      out.write(rawContent(doc, el));
      part.write(out);
      out.write(`</${el.name}>`);
    } else if (ribbon && isRibbon(el) && !done.has('ribbon')) {
      done.add('ribbon');
      writeWithoutXsi(out, ribbon, ribbon.root);
    } else {
      out.write(rawElement(doc, el));
    }
  }
  out.write(doc.text.slice(cursor, entity.contentEnd));
  for (const part of parts) {
    if (done.has(part.name)) continue;
    out.write(`<${part.name}>`);
    part.write(out);
    out.write(`</${part.name}>`);
  }
  if (ribbon && !done.has('ribbon')) writeWithoutXsi(out, ribbon, ribbon.root);
  out.write(`</${entity.name}>`);
}

/** The start tag of `el` without the xsi declaration, never self-closing (content follows). */
function writeOpenTag(out: TextSink, el: ScannedElement): void {
  out.write(`${openTag({ name: el.name, attrs: withoutXsi(el.attrs) })}>`);
}

async function entities(m: Merger, section: Section): Promise<void> {
  for (const dir of m.subfolders('Entities')) {
    const entityFile = m.ctx.index.resolve(`${dir}/Entity.xml`);
    if (!entityFile) continue;
    const doc = m.scan(entityFile, 1);
    const ribbonFile = m.ctx.index.resolve(`${dir}/RibbonDiff.xml`);
    const ribbon = ribbonFile ? m.scan(ribbonFile, 0) : undefined;
    const parts = entityParts(m, dir);
    section.component((out) => writeEntity(out, doc, parts, ribbon));
    for (const formula of m.filesIn(`${dir}/Formulas`, '')) await m.addContent(formula, `Formulas/${baseName(formula)}`, entityFile);
  }
}

/** A folder with one XML file per component. */
const flat = (dir: string): Producer => async (m, section) => {
  for (const f of m.filesIn(dir, '.xml')) m.copy(section, m.scan(f, 0));
};

/** A whole-section file under Other/ (EntityMaps.xml, FieldSecurityProfiles.xml): its children fill the section. */
const wholeSection = (rel: string): Producer => async (m, section) => {
  const file = m.ctx.index.resolve(rel);
  if (!file) return;
  const doc = m.scan(file, 1);
  for (const el of doc.root.children) section.component((out) => out.write(rawElement(doc, el)));
};

async function relationships(m: Merger, section: Section): Promise<void> {
  const listFile = m.ctx.index.resolve('Other/Relationships.xml');
  const names = (doc: ScannedXml) => doc.root.children.filter((r) => r.name === 'EntityRelationship').map((r) => scannedAttr(r, 'Name') ?? '');
  const listed = listFile ? names(m.scan(listFile, 1)) : [];
  // Written in the order of Relationships.xml, then any defined but not listed; one entity file in memory at a time.
  const fileOf = new Map<string, string>();
  for (const f of m.filesIn('Other/Relationships', '.xml')) for (const name of names(m.scan(f, 1))) fileOf.set(name, f);
  const listedSet = new Set(listed);
  const order = [...listed, ...[...fileOf.keys()].filter((n) => !listedSet.has(n))];
  let cached: { file: string; doc: ScannedXml; byName: Map<string, ScannedElement> } | undefined;
  for (const name of order) {
    const file = fileOf.get(name);
    if (!file) {
      m.warnings.push(`Other/Relationships.xml lists relationship '${name}' but no file under Other/Relationships/ defines it; it is left out.`);
      continue;
    }
    if (cached?.file !== file) {
      const doc = m.scan(file, 1);
      cached = { file, doc, byName: new Map(doc.root.children.filter((r) => r.name === 'EntityRelationship').map((r) => [scannedAttr(r, 'Name') ?? '', r])) };
    }
    const { doc, byName } = cached;
    section.component((out) => out.write(rawElement(doc, byName.get(name) as ScannedElement)));
  }
}

async function workflows(m: Merger, section: Section): Promise<void> {
  for (const f of m.filesIn('Workflows', '.data.xml')) {
    const doc = m.scan(f, 1);
    for (const ref of ['JsonFileName', 'XamlFileName']) {
      const value = scannedText(doc, scannedChild(doc.root, ref));
      if (value) await m.addContent(zipPathOf(value), zipPathOf(value), f);
    }
    m.copy(section, doc);
  }
}

async function webResources(m: Merger, section: Section): Promise<void> {
  for (const f of m.filesUnder('WebResources', '.data.xml')) {
    const doc = m.scan(f, 1);
    const field = (name: string) => scannedText(doc, scannedChild(doc.root, name));
    const declared = field('FileName');
    const zipName = declared ? zipPathOf(declared) : webResourceZipName(field('Name'), field('WebResourceId'));
    await m.addContent(f.slice(0, -'.data.xml'.length), zipName, f);
    m.copy(section, doc);
  }
}

async function customControls(m: Merger, section: Section): Promise<void> {
  for (const f of m.filesUnder('Controls', '.data.xml')) {
    const doc = m.scan(f, 1);
    const manifest = scannedText(doc, scannedChild(doc.root, 'FileName'));
    if (manifest) await m.addContent(zipPathOf(manifest), zipPathOf(manifest), f);
    // The control's bundle, strings, css… sit beside the manifest and travel unchanged.
    for (const other of m.ctx.index.under(path.posix.dirname(f))) {
      if (!other.toLowerCase().endsWith('.data.xml') && !m.files.has(other)) await m.addContent(other, other, f);
    }
    m.copy(section, doc);
  }
}

async function pluginAssemblies(m: Merger, section: Section): Promise<void> {
  for (const f of m.filesUnder('PluginAssemblies', '.data.xml')) {
    const doc = m.scan(f, 1);
    const fileName = scannedText(doc, scannedChild(doc.root, 'FileName'));
    const rel = fileName ? zipPathOf(fileName) : f.slice(0, -'.data.xml'.length);
    await m.addContent(rel, rel, f);
    m.copy(section, doc);
  }
}

/** AppModules/<name>/AppModule.xml and AppModuleSiteMaps/<name>/AppModuleSiteMap.xml, with `_managed` twins. */
const appFolders = (dir: string, fileName: string): Producer => async (m, section) => {
  for (const d of m.subfolders(dir)) {
    const f = m.ctx.index.resolve(`${d}/${fileName}`);
    if (f) section.component((out) => writeVariants(m, out, m.variantFiles(f), (o, doc) => writeWithoutXsi(o, doc, doc.root)));
  }
};

async function canvasApps(m: Merger, section: Section): Promise<void> {
  for (const f of m.filesIn('CanvasApps', '.meta.xml')) {
    const doc = m.scan(f, 2);
    const refs = [scannedText(doc, scannedChild(doc.root, 'DocumentUri')), scannedText(doc, scannedChild(doc.root, 'BackgroundImageUri'))];
    const additional = scannedChild(doc.root, 'AdditionalUris');
    if (additional) refs.push(...additional.children.map((u) => scannedText(doc, u)));
    for (const ref of refs.filter((r) => r)) await m.addContent(zipPathOf(ref), zipPathOf(ref), f);
    m.copy(section, doc);
  }
}

async function connectors(m: Merger, section: Section): Promise<void> {
  for (const f of m.filesIn('Connectors', '.xml')) {
    const doc = m.scan(f, 1);
    for (const c of doc.root.children) {
      const value = scannedText(doc, c);
      // The metadata points at the zip folder Connector/ (singular); the tree keeps the files in Connectors/.
      if (/^\/Connector\//i.test(value)) await m.addContent(`Connectors/${value.slice('/Connector/'.length)}`, zipPathOf(value), f);
    }
    m.copy(section, doc);
  }
}

/** customizations.xml section → how the tree fills it, in the order pack reads the tree. */
const PRODUCERS: Array<[string, Producer]> = [
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

function producerFor(sectionName: string): [string, Producer] | undefined {
  return PRODUCERS.find(([name]) => name.toLowerCase() === sectionName.toLowerCase());
}

/** Component folders pack does not split (environment variables, custom APIs, bots, …) travel unchanged. */
async function addPassThrough(m: Merger): Promise<void> {
  const unknown = new Map<string, number>();
  for (const f of m.ctx.index.files) {
    const slash = f.indexOf('/');
    if (slash < 0 || f.startsWith('.') || isSplitFolder(f.slice(0, slash))) continue;
    const top = f.slice(0, slash);
    if (!isPassThroughFolder(top)) unknown.set(top, (unknown.get(top) ?? 0) + 1);
    await m.addContent(f, f, f);
  }
  for (const [top, n] of unknown) m.ctx.logger.info(`pack: folder '${top}/' is not a known component folder; its ${n} file(s) are packed unchanged at the same path.`);
}

/**
 * Writes customizations.xml for each variant to its sink (no BOM or declaration, as in exported zips): the
 * sections of Other/Customizations.xml in their order, each filled from the tree; sections the skeleton lacks but
 * the tree fills go before <Languages>. Returns the zip's content files and everything missing; with anything
 * missing the output is incomplete and must be discarded.
 */
export async function mergePackage(ctx: TreeContext, sinks: ReadonlyMap<Variant, TextSink>): Promise<PackPlan> {
  const out = new Outputs(sinks);
  const m = new Merger(ctx, out);
  const skeletonFile = ctx.index.resolve('Other/Customizations.xml');
  if (!skeletonFile) return { files: [], missing: [{ path: 'Other/Customizations.xml', referencedBy: 'Other/Solution.xml' }], warnings: [] };
  const skeleton = m.scan(skeletonFile, 1);
  m.consumed.add(ctx.index.resolve('Other/Solution.xml') ?? 'Other/Solution.xml');
  const present = new Set(skeleton.root.children.map((c) => producerFor(c.name)?.[0]).filter((n): n is string => n !== undefined));
  const fill = async (name: string, produce: Producer, existing?: ScannedElement) => {
    const section = new Section(out, existing?.name ?? name, existing ? { doc: skeleton, el: existing } : undefined);
    await produce(m, section);
    section.close();
  };
  const fillAbsent = async () => { for (const [name, produce] of PRODUCERS) if (!present.has(name)) await fill(name, produce); };

  out.write(`${openTag(skeleton.root)}>\n`);
  let absentFilled = false;
  const filled = new Set<string>();
  for (const el of skeleton.root.children) {
    if (!absentFilled && el.name === 'Languages') { await fillAbsent(); absentFilled = true; }
    const producer = producerFor(el.name);
    if (producer && !filled.has(producer[0])) {
      filled.add(producer[0]);
      await fill(producer[0], producer[1], el);
      continue;
    }
    if (producer) m.warnings.push(`${skeletonFile} has a second <${el.name}> section; the components go into the first one and the second is kept as it is.`);
    out.write(`  ${rawElement(skeleton, el)}\n`);
  }
  if (!absentFilled) await fillAbsent();
  out.write(`</${skeleton.root.name}>`);

  await addPassThrough(m);
  for (const f of ctx.index.files) {
    if (f.includes('/') && !m.consumed.has(f) && isSplitFolder(f.slice(0, f.indexOf('/'))) && !isSourceOnlyPath(f)) {
      ctx.logger.debug(`pack: '${f}' is not part of any component and is not packed.`);
    }
  }
  const files = [...m.files.entries()].map(([zipName, source]) => ({ zipName, source })).sort((a, b) => compareOrdinal(a.zipName, b.zipName));
  return { files, missing: m.missing, warnings: m.warnings };
}
