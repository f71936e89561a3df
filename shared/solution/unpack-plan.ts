/**
 * Splits one solution zip into the SolutionPackager tree. customizations.xml is streamed one component at a time
 * and every tree XML file is handed to `emit` as soon as it is known, so memory follows the largest component,
 * not the solution; content files are returned as zip entries to copy unchanged.
 */
import * as path from 'node:path';
import { UserError } from '../core';
import { attr, childElements, childI, element, isElement, parseXml, textOf, XmlElement } from './xml';
import { streamXml } from './xml-stream';
import { ZipReader } from './zip-read';
import { CONTENT_TYPES_NAME } from './content-types';
import { readManifest, SolutionManifest } from './manifest';
import { XSI_NAMESPACE, zipPathOf } from './tree-sections';

export interface SolutionXml {
  manifest: SolutionManifest;
  solution: XmlElement;
}

/** Receives each tree XML file (path relative to the solution root) as the split produces it. */
export type EmitTreeFile = (rel: string, root: XmlElement) => Promise<void>;

/** Tree path → zip entry, for the content files the tree holds unchanged. */
export type TreeEntries = Map<string, string>;

/** solution.xml of a solution zip, parsed, with its manifest. */
export async function readSolutionXml(zip: ZipReader): Promise<SolutionXml> {
  const solutionName = zip.findName('solution.xml');
  const customName = zip.findName('customizations.xml');
  if (!solutionName || !customName) {
    throw new UserError(`'${zip.file}' is not a solution zip: ${!solutionName ? 'solution.xml' : 'customizations.xml'} is missing at its root.`);
  }
  const solution = parseXml(await zip.readText(solutionName), `${path.basename(zip.file)}: solution.xml`);
  return { manifest: readManifest(solution, `${path.basename(zip.file)}: solution.xml`), solution };
}

/** Characters Windows does not allow in file names. */
function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\\/:*?"<>|\x00-\x1f]/g, '_').replace(/[. ]+$/, '') || '_';
}

/** Paths derived from metadata (web resource names, file references) must stay inside the tree. */
function safeRelPath(raw: string, what: string): string {
  const rel = raw.replace(/\\/g, '/');
  const parts = rel.split('/');
  if (parts.some((p) => p === '..' || p === '.' || p === '') || /^[a-zA-Z]:/.test(rel) || rel.includes('\0')) {
    throw new UserError(`${what}: the path '${raw}' is not a safe relative path.`, 'The solution metadata may be corrupt or crafted.');
  }
  return rel;
}

/**
 * SolutionPackager 9.x declares the xsi namespace on the root of every split file (not on AppModule.xml) and wraps
 * forms in <forms> and views in <savedqueries>; 8.x does neither. The manifest's SolutionPackageVersion tells which.
 */
type TreeStyle = 'v8' | 'v9';

function treeStyleOf(solution: XmlElement): TreeStyle {
  const version = attr(solution, 'SolutionPackageVersion') ?? attr(solution, 'version') ?? '9';
  return Number(version.split('.')[0]) >= 9 ? 'v9' : 'v8';
}

class Splitter {
  /** Tree XML files produced but not yet handed to `emit`. */
  readonly pending: Array<[string, XmlElement]> = [];
  readonly emitted = new Set<string>();
  /** zip entry → tree path, for entries placed somewhere else than their zip path. */
  readonly moved = new Map<string, string>();
  /** Sections gathered whole before they are split (relationships, whole-section files). */
  readonly gathered = new Map<XmlElement, XmlElement[]>();

  constructor(readonly zip: ZipReader, readonly style: TreeStyle, private readonly emit: EmitTreeFile) {}

  xml(rel: string, root: XmlElement): void {
    if (this.style === 'v9' && root.name !== 'AppModule' && !root.attrs.some(([k]) => k === 'xmlns:xsi')) {
      root.attrs.push(['xmlns:xsi', XSI_NAMESPACE]);
    }
    this.pending.push([safeRelPath(rel, 'unpack'), root]);
  }

  async flush(): Promise<void> {
    for (const [rel, root] of this.pending.splice(0)) {
      this.emitted.add(rel);
      await this.emit(rel, root);
    }
  }

  /** A form or view file: bare in 8.x trees, wrapped in 9.x trees. */
  wrapped(rel: string, item: XmlElement, wrapper: string): void {
    this.xml(rel, this.style === 'v9' ? element(wrapper, [item]) : item);
  }

  /** Emptying a section: `<FormXml>…</FormXml>` → `<FormXml />` (the placeholder pack fills again). */
  takeChildren(el: XmlElement): XmlElement[] {
    const kids = el.children.filter(isElement);
    el.children = [];
    return kids;
  }

  moveEntry(reference: string, treeRel: string): void {
    const zipName = this.zip.findName(zipPathOf(reference));
    if (zipName) this.moved.set(zipName, safeRelPath(treeRel, reference));
  }
}

function splitEntity(s: Splitter, entity: XmlElement): void {
  const name = safeFileName(textOf(childI(entity, 'Name')) || 'Entity');
  const dir = `Entities/${name}`;
  const formXml = childI(entity, 'FormXml');
  if (formXml) {
    for (const group of s.takeChildren(formXml)) {
      const type = safeFileName(attr(group, 'type') ?? 'main');
      for (const form of childElements(group)) {
        const id = (textOf(childI(form, 'formid')) || attr(form, 'id') || 'form').toLowerCase();
        s.wrapped(`${dir}/FormXml/${type}/${safeFileName(id)}.xml`, form, 'forms');
      }
    }
  }
  const saved = childI(entity, 'SavedQueries');
  if (saved) {
    for (const list of s.takeChildren(saved)) {
      for (const view of childElements(list)) {
        const id = (textOf(childI(view, 'savedqueryid')) || 'view').toLowerCase();
        s.wrapped(`${dir}/SavedQueries/${safeFileName(id)}.xml`, view, 'savedqueries');
      }
    }
  }
  const charts = childI(entity, 'Visualizations');
  if (charts) {
    for (const chart of s.takeChildren(charts)) {
      const id = (textOf(childI(chart, 'savedqueryvisualizationid')) || 'chart').toLowerCase();
      s.wrapped(`${dir}/Visualizations/${safeFileName(id)}.xml`, chart, 'visualizations');
    }
  }
  const ribbon = childI(entity, 'RibbonDiffXml');
  if (ribbon) {
    entity.children[entity.children.indexOf(ribbon)] = element(ribbon.name);
    s.xml(`${dir}/RibbonDiff.xml`, ribbon);
  }
  for (const formula of findTexts(entity, 'FormulaDefinitionFileName')) {
    s.moveEntry(formula, `${dir}/Formulas/${path.posix.basename(zipPathOf(formula))}`);
  }
  s.xml(`${dir}/Entity.xml`, entity);
}

function findTexts(el: XmlElement, name: string): string[] {
  const out: string[] = [];
  const visit = (e: XmlElement) => {
    if (e.name === name) { const t = textOf(e); if (t) out.push(t); }
    for (const c of e.children) if (isElement(c)) visit(c);
  };
  visit(el);
  return out;
}

function splitRelationships(s: Splitter, items: XmlElement[]): void {
  if (items.length === 0) return;
  const list = element('EntityRelationships');
  const groups = new Map<string, { name: string; items: XmlElement[] }>();
  for (const rel of items) {
    list.children.push(element('EntityRelationship', [], rel.attrs.filter(([k]) => k === 'Name')));
    const type = textOf(childI(rel, 'EntityRelationshipType'));
    const owner = (type === 'ManyToMany' ? textOf(childI(rel, 'FirstEntityName')) : textOf(childI(rel, 'ReferencedEntityName'))) || 'Other';
    const key = owner.toLowerCase();
    const group = groups.get(key) ?? { name: owner, items: [] };
    group.items.push(rel);
    groups.set(key, group);
  }
  s.xml('Other/Relationships.xml', list);
  for (const g of groups.values()) s.xml(`Other/Relationships/${safeFileName(g.name)}.xml`, element('EntityRelationships', g.items));
}

function splitWholeSection(s: Splitter, sectionEl: XmlElement, items: XmlElement[], rel: string): void {
  // Its own copy of the attributes: the file gets the xsi declaration, the skeleton's section must not.
  if (items.length > 0) s.xml(rel, element(sectionEl.name, items, [...sectionEl.attrs]));
}

function referenced(item: XmlElement, name: string, fallback: string): string {
  const ref = textOf(childI(item, name));
  return ref ? zipPathOf(ref) : fallback;
}

type ItemSplitter = (s: Splitter, item: XmlElement) => void;

const workflowFile = (w: XmlElement): string => {
  const file = referenced(w, 'JsonFileName', '') || referenced(w, 'XamlFileName', '');
  if (file) return `${file}.data.xml`;
  const id = (attr(w, 'WorkflowId') ?? '').replace(/[{}]/g, '').toUpperCase();
  return `Workflows/${(attr(w, 'Name') ?? 'Workflow').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 50)}-${id}.data.xml`;
};

const each = (fileOf: (item: XmlElement) => string): ItemSplitter => (s, item) => s.xml(fileOf(item), item);

/** customizations.xml section (lower-case) → how each of its components becomes tree files. */
const ITEM_SPLITTERS: Record<string, ItemSplitter> = {
  entities: splitEntity,
  roles: each((r) => `Roles/${safeFileName(attr(r, 'name') ?? attr(r, 'id') ?? 'Role')}.xml`),
  workflows: each(workflowFile),
  optionsets: each((o) => `OptionSets/${safeFileName(attr(o, 'Name') ?? 'optionset')}.xml`),
  webresources: (s, w) => {
    const tree = `WebResources/${textOf(childI(w, 'Name'))}`;
    const file = textOf(childI(w, 'FileName'));
    if (file) s.moveEntry(file, tree);
    s.xml(`${tree}.data.xml`, w);
  },
  customcontrols: each((c) => `${referenced(c, 'FileName', `Controls/${safeFileName(textOf(childI(c, 'Name')))}/ControlManifest.xml`)}.data.xml`),
  solutionpluginassemblies: each((a) => `${referenced(a, 'FileName', `PluginAssemblies/${safeFileName(attr(a, 'FullName') ?? 'Assembly')}.dll`)}.data.xml`),
  sdkmessageprocessingsteps: each((st) => `SdkMessageProcessingSteps/${safeFileName((attr(st, 'SdkMessageProcessingStepId') ?? 'step').toLowerCase())}.xml`),
  appmodulesitemaps: each((m) => `AppModuleSiteMaps/${safeFileName(textOf(childI(m, 'SiteMapUniqueName')))}/AppModuleSiteMap.xml`),
  appmodules: each((m) => `AppModules/${safeFileName(textOf(childI(m, 'UniqueName')))}/AppModule.xml`),
  canvasapps: each((a) => `CanvasApps/${safeFileName(textOf(childI(a, 'Name')))}.meta.xml`),
  connectors: each((c) => `Connectors/${safeFileName(textOf(childI(c, 'name')))}.xml`),
  dashboards: each((d) => `Dashboards/${safeFileName((textOf(childI(d, 'formid')) || attr(d, 'id') || 'dashboard').toLowerCase())}.xml`),
};

/** Sections split only once all their components are known. */
const SECTION_SPLITTERS: Record<string, (s: Splitter, section: XmlElement, items: XmlElement[]) => void> = {
  fieldsecurityprofiles: (s, section, items) => splitWholeSection(s, section, items, 'Other/FieldSecurityProfiles.xml'),
  entitymaps: (s, section, items) => splitWholeSection(s, section, items, 'Other/EntityMaps.xml'),
  entityrelationships: (s, _section, items) => splitRelationships(s, items),
};

function treePathOfEntry(s: Splitter, name: string): string | undefined {
  if (name === CONTENT_TYPES_NAME || name === 'solution.xml' || name === 'customizations.xml') return undefined;
  const moved = s.moved.get(name);
  if (moved) return moved;
  if (/^Connector\//i.test(name)) return `Connectors/${name.slice('Connector/'.length)}`;
  return name;
}

/**
 * Splits a solution zip (its solution.xml already read) into tree files: each XML file goes to `emit` as soon as
 * its component has been read, Other/Customizations.xml (the skeleton with its split sections emptied) last.
 * Returns the content files to copy from the zip, by tree path.
 */
export async function splitSolutionZip(zip: ZipReader, solution: XmlElement, emit: EmitTreeFile): Promise<TreeEntries> {
  const customName = zip.findName('customizations.xml') as string;
  const s = new Splitter(zip, treeStyleOf(solution), emit);
  let skeleton: XmlElement | undefined;
  const split = (el: XmlElement) => el.name.toLowerCase();
  await zip.withEntryStream(customName, (stream) => streamXml(stream, `${path.basename(zip.file)}: customizations.xml`, {
    descend: (el) => ITEM_SPLITTERS[split(el)] !== undefined || SECTION_SPLITTERS[split(el)] !== undefined,
    root: (el) => { skeleton = el; },
    enter: (el) => {
      // The skeleton keeps the split section, emptied: `<Entities />` is the placeholder pack fills again.
      skeleton?.children.push(el);
      if (SECTION_SPLITTERS[split(el)]) s.gathered.set(el, []);
    },
    element: async (el, section) => {
      if (!section) { skeleton?.children.push(el); return; }
      const gathered = s.gathered.get(section);
      if (gathered) gathered.push(el); else ITEM_SPLITTERS[split(section)](s, el);
      await s.flush();
    },
    comment: (text) => { skeleton?.children.push({ comment: text }); },
    leave: async (section) => {
      const gathered = s.gathered.get(section);
      if (!gathered) return;
      s.gathered.delete(section);
      SECTION_SPLITTERS[split(section)](s, section, gathered);
      await s.flush();
    },
  }));
  s.xml('Other/Customizations.xml', skeleton as XmlElement);
  await s.flush();
  const entries: TreeEntries = new Map();
  for (const e of zip.entries) {
    const tree = treePathOfEntry(s, e.name);
    if (tree && !s.emitted.has(tree) && !entries.has(tree)) entries.set(tree, e.name);
  }
  return entries;
}
