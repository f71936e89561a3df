/** solution.xml (zip) / Other/Solution.xml (folder): the solution manifest. */
import { UserError } from '../core';
import { attr, child, childElements, childI, childText, element, setText, XmlElement } from './xml';
import { parseVersion } from './versions';

export interface LocalizedName {
  languageCode: string;
  description: string;
}

export interface RootComponent {
  type: string;
  id?: string;
  schemaName?: string;
  behavior?: string;
}

export interface MissingDependency {
  required: Record<string, string>;
  dependent: Record<string, string>;
}

/** 0 = unmanaged, 1 = managed (zips), 2 = both (unpacked folders holding both variants). */
export type ManagedFlag = 0 | 1 | 2;

export interface SolutionManifest {
  uniqueName: string;
  localizedNames: LocalizedName[];
  version: string;
  managed: ManagedFlag;
  publisher: { uniqueName: string; customizationPrefix?: string; localizedNames: LocalizedName[] };
  rootComponents: RootComponent[];
  missingDependencies: MissingDependency[];
  /** ImportExportXml@version, e.g. 9.2.24053.198. */
  importExportVersion?: string;
}

function manifestElement(root: XmlElement, what: string): XmlElement {
  if (root.name !== 'ImportExportXml') {
    throw new UserError(`${what}: root element is <${root.name}>, expected <ImportExportXml>.`, 'Is this a Dataverse solution manifest?');
  }
  const sm = child(root, 'SolutionManifest');
  if (!sm) throw new UserError(`${what}: <SolutionManifest> is missing.`);
  return sm;
}

function localizedNames(el: XmlElement | undefined): LocalizedName[] {
  const names = el ? childI(el, 'LocalizedNames') : undefined;
  return names ? childElements(names, 'LocalizedName').map((n) => ({ languageCode: attr(n, 'languagecode') ?? '', description: attr(n, 'description') ?? '' })) : [];
}

function allAttrs(el: XmlElement | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (el) for (const [k] of el.attrs) out[k] = attr(el, k) ?? '';
  return out;
}

export function readManifest(root: XmlElement, what = 'solution.xml'): SolutionManifest {
  const sm = manifestElement(root, what);
  const uniqueName = childText(sm, 'UniqueName') ?? '';
  if (!uniqueName) throw new UserError(`${what}: <UniqueName> is missing or empty.`);
  const version = childText(sm, 'Version') ?? '';
  parseVersion(version, `${what}: <Version>`);
  const managedText = childText(sm, 'Managed') ?? '0';
  if (!['0', '1', '2'].includes(managedText)) {
    throw new UserError(`${what}: <Managed> is '${managedText}'; expected 0 (unmanaged), 1 (managed) or 2 (both).`);
  }
  const publisherEl = child(sm, 'Publisher');
  const rootComponents = child(sm, 'RootComponents');
  const missing = child(sm, 'MissingDependencies');
  return {
    uniqueName,
    localizedNames: localizedNames(sm),
    version,
    managed: Number(managedText) as ManagedFlag,
    publisher: {
      uniqueName: publisherEl ? childText(publisherEl, 'UniqueName') ?? '' : '',
      customizationPrefix: publisherEl ? childText(publisherEl, 'CustomizationPrefix') : undefined,
      localizedNames: localizedNames(publisherEl),
    },
    rootComponents: rootComponents ? childElements(rootComponents, 'RootComponent').map((rc) => ({
      type: attr(rc, 'type') ?? '', id: attr(rc, 'id'), schemaName: attr(rc, 'schemaName'), behavior: attr(rc, 'behavior'),
    })) : [],
    missingDependencies: missing ? childElements(missing, 'MissingDependency').map((md) => ({
      required: allAttrs(child(md, 'Required')), dependent: allAttrs(child(md, 'Dependent')),
    })) : [],
    importExportVersion: attr(root, 'version'),
  };
}

function setManifestChild(root: XmlElement, name: string, value: string, after: string): void {
  const sm = manifestElement(root, 'solution manifest');
  let el = child(sm, name);
  if (!el) {
    el = element(name);
    const anchor = sm.children.findIndex((c) => 'name' in c && c.name === after);
    sm.children.splice(anchor >= 0 ? anchor + 1 : sm.children.length, 0, el);
  }
  setText(el, value);
}

/** Writes <Version> (validated) into a parsed manifest. */
export function setManifestVersion(root: XmlElement, version: string): void {
  setManifestChild(root, 'Version', parseVersion(version, 'Version to stamp').text, 'Descriptions');
}

export function setManifestManaged(root: XmlElement, managed: ManagedFlag): void {
  setManifestChild(root, 'Managed', String(managed), 'Version');
}
