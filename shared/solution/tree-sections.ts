/**
 * The SolutionPackager layout rules shared by pack and unpack: which customizations.xml section is split into
 * which folder, and how zip paths map to solution-tree paths.
 */
import * as path from 'node:path';
import { childI, element, isElement, XmlElement } from './xml';

export const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';

/** Top-level folders that pack reads component by component; any other top-level folder passes through unchanged. */
export const SPLIT_FOLDERS = [
  'Other', 'Entities', 'Roles', 'Workflows', 'OptionSets', 'WebResources', 'Controls', 'PluginAssemblies',
  'SdkMessageProcessingSteps', 'AppModuleSiteMaps', 'AppModules', 'CanvasApps', 'Connectors', 'Dashboards',
];

/** Folders of pass-through components seen in real solutions (used to clean stale files on unpack). */
export const PASS_THROUGH_FOLDERS = [
  'environmentvariabledefinitions', 'customapis', 'appactions', 'pluginpackages', 'bots', 'botcomponents', 'Assets',
];

export function isPassThroughFolder(top: string): boolean {
  return PASS_THROUGH_FOLDERS.some((f) => f.toLowerCase() === top.toLowerCase());
}

export function isSplitFolder(top: string): boolean {
  return SPLIT_FOLDERS.some((f) => f.toLowerCase() === top.toLowerCase());
}

/** Files that belong to the developer, not to the solution tree: canvas app source folders. */
export function isSourceOnlyPath(rel: string): boolean {
  const lower = rel.toLowerCase();
  return lower.startsWith('canvasapps/src/') || /_msapp_src\//.test(lower);
}

/** `foo/{guid}.xml` → `foo/{guid}_managed.xml` */
export function managedTwin(rel: string): string {
  return rel.replace(/\.xml$/i, '_managed.xml');
}

export function isManagedTwin(rel: string): boolean {
  return /_managed\.xml$/i.test(rel);
}

/** Zip name of a web resource: its name with every character except letters, digits and _ removed, + GUID upper-case without braces. */
export function webResourceZipName(name: string, id: string): string {
  return `WebResources/${name.replace(/[^A-Za-z0-9_]/g, '')}${id.replace(/[{}]/g, '').toUpperCase()}`;
}

/** Returns the section element of customizations.xml, creating it (before <Languages>) when absent. */
export function section(root: XmlElement, name: string): XmlElement {
  const found = childI(root, name);
  if (found) return found;
  const created = element(name);
  const languages = root.children.findIndex((c) => isElement(c) && c.name === 'Languages');
  root.children.splice(languages >= 0 ? languages : root.children.length, 0, created);
  return created;
}

export function zipPathOf(reference: string): string {
  return reference.replace(/\\/g, '/').replace(/^\/+/, '');
}

export function baseName(rel: string): string {
  return path.posix.basename(rel);
}
