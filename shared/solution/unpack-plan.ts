/**
 * Splits one solution zip into the SolutionPackager tree: returns every tree file (XML written SolutionPackager
 * style, or a zip entry copied unchanged) keyed by its path relative to the solution root.
 */
import * as path from 'node:path';
import { UserError } from '../core';
import { attr, childElements, childI, element, isElement, parseXml, textOf, XmlElement } from './xml';
import { ZipReader } from './zip-read';
import { CONTENT_TYPES_NAME } from './content-types';
import { readManifest, SolutionManifest } from './manifest';
import { XSI_NAMESPACE, zipPathOf } from './tree-sections';

export type TreeFile = { kind: 'xml'; root: XmlElement } | { kind: 'entry'; zip: ZipReader; entry: string };

export interface UnpackPlan {
  manifest: SolutionManifest;
  solution: XmlElement;
  files: Map<string, TreeFile>;
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
  readonly files = new Map<string, TreeFile>();
  /** zip entry → tree path, for entries placed somewhere else than their zip path. */
  readonly moved = new Map<string, string>();

  constructor(readonly zip: ZipReader, readonly style: TreeStyle) {}

  xml(rel: string, root: XmlElement): void {
    if (this.style === 'v9' && root.name !== 'AppModule' && !root.attrs.some(([k]) => k === 'xmlns:xsi')) {
      root.attrs.push(['xmlns:xsi', XSI_NAMESPACE]);
    }
    this.files.set(safeRelPath(rel, 'unpack'), { kind: 'xml', root });
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

function splitEntities(s: Splitter, sectionEl: XmlElement): void {
  for (const entity of s.takeChildren(sectionEl)) {
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

function splitEach(s: Splitter, sectionEl: XmlElement, fileOf: (item: XmlElement) => string): void {
  for (const item of s.takeChildren(sectionEl)) s.xml(fileOf(item), item);
}

function splitRelationships(s: Splitter, sectionEl: XmlElement): void {
  const items = s.takeChildren(sectionEl);
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

function splitWholeSection(s: Splitter, sectionEl: XmlElement, rel: string): void {
  const items = s.takeChildren(sectionEl);
  if (items.length > 0) s.xml(rel, element(sectionEl.name, items, sectionEl.attrs));
}

function referenced(item: XmlElement, name: string, fallback: string): string {
  const ref = textOf(childI(item, name));
  return ref ? zipPathOf(ref) : fallback;
}

/** Splits the parsed customizations.xml (mutated into the skeleton) and returns the tree files. */
function splitCustomizations(s: Splitter, custom: XmlElement): void {
  for (const node of custom.children) {
    if (!isElement(node)) continue;
    switch (node.name.toLowerCase()) {
      case 'entities': splitEntities(s, node); break;
      case 'roles': splitEach(s, node, (r) => `Roles/${safeFileName(attr(r, 'name') ?? attr(r, 'id') ?? 'Role')}.xml`); break;
      case 'workflows': splitEach(s, node, (w) => {
        const file = referenced(w, 'JsonFileName', '') || referenced(w, 'XamlFileName', '');
        if (file) return `${file}.data.xml`;
        const id = (attr(w, 'WorkflowId') ?? '').replace(/[{}]/g, '').toUpperCase();
        return `Workflows/${(attr(w, 'Name') ?? 'Workflow').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 50)}-${id}.data.xml`;
      }); break;
      case 'fieldsecurityprofiles': splitWholeSection(s, node, 'Other/FieldSecurityProfiles.xml'); break;
      case 'entitymaps': splitWholeSection(s, node, 'Other/EntityMaps.xml'); break;
      case 'entityrelationships': splitRelationships(s, node); break;
      case 'optionsets': splitEach(s, node, (o) => `OptionSets/${safeFileName(attr(o, 'Name') ?? 'optionset')}.xml`); break;
      case 'webresources': splitEach(s, node, (w) => {
        const tree = `WebResources/${textOf(childI(w, 'Name'))}`;
        const file = textOf(childI(w, 'FileName'));
        if (file) s.moveEntry(file, tree);
        return `${tree}.data.xml`;
      }); break;
      case 'customcontrols': splitEach(s, node, (c) => `${referenced(c, 'FileName', `Controls/${safeFileName(textOf(childI(c, 'Name')))}/ControlManifest.xml`)}.data.xml`); break;
      case 'solutionpluginassemblies': splitEach(s, node, (a) => `${referenced(a, 'FileName', `PluginAssemblies/${safeFileName(attr(a, 'FullName') ?? 'Assembly')}.dll`)}.data.xml`); break;
      case 'sdkmessageprocessingsteps': splitEach(s, node, (st) => `SdkMessageProcessingSteps/${safeFileName((attr(st, 'SdkMessageProcessingStepId') ?? 'step').toLowerCase())}.xml`); break;
      case 'appmodulesitemaps': splitEach(s, node, (m) => `AppModuleSiteMaps/${safeFileName(textOf(childI(m, 'SiteMapUniqueName')))}/AppModuleSiteMap.xml`); break;
      case 'appmodules': splitEach(s, node, (m) => `AppModules/${safeFileName(textOf(childI(m, 'UniqueName')))}/AppModule.xml`); break;
      case 'canvasapps': splitEach(s, node, (a) => `CanvasApps/${safeFileName(textOf(childI(a, 'Name')))}.meta.xml`); break;
      case 'connectors': splitEach(s, node, (c) => `Connectors/${safeFileName(textOf(childI(c, 'name')))}.xml`); break;
      case 'dashboards': splitEach(s, node, (d) => `Dashboards/${safeFileName((textOf(childI(d, 'formid')) || attr(d, 'id') || 'dashboard').toLowerCase())}.xml`); break;
      default: break;
    }
  }
}

function treePathOfEntry(s: Splitter, name: string): string | undefined {
  if (name === CONTENT_TYPES_NAME || name === 'solution.xml' || name === 'customizations.xml') return undefined;
  const moved = s.moved.get(name);
  if (moved) return moved;
  if (/^Connector\//i.test(name)) return `Connectors/${name.slice('Connector/'.length)}`;
  return name;
}

export async function planUnpack(zip: ZipReader): Promise<UnpackPlan> {
  const solutionName = zip.findName('solution.xml');
  const customName = zip.findName('customizations.xml');
  if (!solutionName || !customName) {
    throw new UserError(`'${zip.file}' is not a solution zip: ${!solutionName ? 'solution.xml' : 'customizations.xml'} is missing at its root.`);
  }
  const solution = parseXml(await zip.readText(solutionName), `${path.basename(zip.file)}: solution.xml`);
  const manifest = readManifest(solution, `${path.basename(zip.file)}: solution.xml`);
  const custom = parseXml(await zip.readText(customName), `${path.basename(zip.file)}: customizations.xml`);
  const s = new Splitter(zip, treeStyleOf(solution));
  splitCustomizations(s, custom);
  s.files.set('Other/Customizations.xml', { kind: 'xml', root: custom });
  for (const e of zip.entries) {
    const tree = treePathOfEntry(s, e.name);
    if (tree && !s.files.has(tree)) s.files.set(tree, { kind: 'entry', zip, entry: e.name });
  }
  return { manifest, solution, files: s.files };
}
