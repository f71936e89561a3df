/**
 * What a solution contains, read from a zip or an unpacked folder: tables, connection references, environment
 * variable definitions, cloud flows with the connection references they use, and other component names.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { Logger, silentLogger } from '../core';
import { FileIndex, listFiles } from './fs-walk';
import { inspectSolutionFolder } from './layout';
import { readManifest, SolutionManifest } from './manifest';
import { mergePackage } from './pack-plan';
import { StringSink } from './text-sink';
import { attr, childElements, childI, element, isElement, parseXml, stripBom, textOf, XmlElement } from './xml';
import { detachXml, streamXml } from './xml-stream';
import { ZipReader } from './zip-read';

export interface ConnectionReferenceInfo {
  logicalName: string;
  displayName?: string;
  connectorId?: string;
}

export interface EnvironmentVariableInfo {
  schemaName: string;
  displayName?: string;
  /** Dataverse type code: 100000000 String, …01 Number, …02 Boolean, …03 JSON, …04 Data source, …05 Secret. */
  type?: string;
  defaultValue?: string;
  /** A current value is shipped with the solution (environmentvariablevalues.json). */
  hasCurrentValue: boolean;
}

export interface CloudFlowInfo {
  id: string;
  name: string;
  /** Zip path of the flow definition. */
  file?: string;
  connectionReferences: string[];
}

export interface SolutionContents {
  manifest: SolutionManifest;
  entities: string[];
  connectionReferences: ConnectionReferenceInfo[];
  environmentVariables: EnvironmentVariableInfo[];
  cloudFlows: CloudFlowInfo[];
  classicWorkflows: Array<{ id: string; name: string }>;
  webResources: string[];
  canvasApps: string[];
  pluginAssemblies: string[];
  connectors: string[];
  appModules: string[];
}

/** Reads files of the solution by zip path. */
interface ContentSource {
  names: string[];
  readText(zipName: string): Promise<string>;
}

const MODERN_FLOW_CATEGORY = '5';

function listConnectionReferences(custom: XmlElement): ConnectionReferenceInfo[] {
  const section = childI(custom, 'connectionreferences');
  if (!section) return [];
  return childElements(section).map((c) => ({
    logicalName: attr(c, 'connectionreferencelogicalname') ?? '',
    displayName: textOf(childI(c, 'connectionreferencedisplayname')) || undefined,
    connectorId: textOf(childI(c, 'connectorid')) || undefined,
  }));
}

function envVarFrom(el: XmlElement, hasCurrentValue: boolean): EnvironmentVariableInfo {
  const display = childI(el, 'displayname');
  return {
    schemaName: attr(el, 'schemaname') ?? '',
    displayName: (display && (attr(display, 'default') || textOf(display))) || undefined,
    type: textOf(childI(el, 'type')) || undefined,
    defaultValue: childI(el, 'defaultvalue') ? textOf(childI(el, 'defaultvalue')) : undefined,
    hasCurrentValue,
  };
}

async function listEnvironmentVariables(custom: XmlElement, source: ContentSource): Promise<EnvironmentVariableInfo[]> {
  const out = new Map<string, EnvironmentVariableInfo>();
  const names = new Set(source.names.map((n) => n.toLowerCase()));
  for (const name of source.names) {
    const m = /^environmentvariabledefinitions\/([^/]+)\/environmentvariabledefinition\.xml$/i.exec(name);
    if (!m) continue;
    const el = parseXml(await source.readText(name), name);
    const info = envVarFrom(el, names.has(`environmentvariabledefinitions/${m[1]}/environmentvariablevalues.json`.toLowerCase()));
    out.set(info.schemaName.toLowerCase(), info);
  }
  // Older exports keep the definitions inline.
  const inline = childI(custom, 'environmentvariabledefinitions');
  for (const el of inline ? childElements(inline) : []) {
    const info = envVarFrom(el, childI(el, 'environmentvariablevalues') !== undefined);
    if (!out.has(info.schemaName.toLowerCase())) out.set(info.schemaName.toLowerCase(), info);
  }
  return [...out.values()];
}

/** Logical names of the connection references a flow definition uses. */
export function flowConnectionReferences(flowJson: string): string[] {
  const found = new Set<string>();
  try {
    const doc = JSON.parse(stripBom(flowJson)) as { properties?: { connectionReferences?: Record<string, { connection?: { connectionReferenceLogicalName?: string } }> } };
    for (const ref of Object.values(doc.properties?.connectionReferences ?? {})) {
      const name = ref?.connection?.connectionReferenceLogicalName;
      if (name) found.add(name);
    }
  } catch {
    // Not JSON (or a damaged file): the flow simply lists no connection references.
  }
  return [...found].sort();
}

async function listWorkflows(custom: XmlElement, source: ContentSource): Promise<Pick<SolutionContents, 'cloudFlows' | 'classicWorkflows'>> {
  const cloudFlows: CloudFlowInfo[] = [];
  const classicWorkflows: Array<{ id: string; name: string }> = [];
  const section = childI(custom, 'Workflows');
  const names = new Map(source.names.map((n) => [n.toLowerCase(), n]));
  for (const wf of section ? childElements(section, 'Workflow') : []) {
    const id = (attr(wf, 'WorkflowId') ?? '').replace(/[{}]/g, '').toLowerCase();
    const name = attr(wf, 'Name') ?? '';
    const jsonRef = textOf(childI(wf, 'JsonFileName')).replace(/^\/+/, '');
    if (textOf(childI(wf, 'Category')) === MODERN_FLOW_CATEGORY || jsonRef) {
      const file = names.get(jsonRef.toLowerCase());
      cloudFlows.push({ id, name, file: jsonRef || undefined, connectionReferences: file ? flowConnectionReferences(await source.readText(file)) : [] });
    } else classicWorkflows.push({ id, name });
  }
  return { cloudFlows, classicWorkflows };
}

function namesIn(custom: XmlElement, sectionName: string, pick: (el: XmlElement) => string | undefined): string[] {
  const section = childI(custom, sectionName);
  return section ? childElements(section).map(pick).filter((n): n is string => !!n) : [];
}

async function describe(solution: XmlElement, custom: XmlElement, source: ContentSource): Promise<SolutionContents> {
  return {
    manifest: readManifest(solution),
    entities: namesIn(custom, 'Entities', (e) => textOf(childI(e, 'Name'))),
    connectionReferences: listConnectionReferences(custom),
    environmentVariables: await listEnvironmentVariables(custom, source),
    ...(await listWorkflows(custom, source)),
    webResources: namesIn(custom, 'WebResources', (w) => textOf(childI(w, 'Name'))),
    canvasApps: namesIn(custom, 'CanvasApps', (a) => textOf(childI(a, 'Name'))),
    pluginAssemblies: namesIn(custom, 'SolutionPluginAssemblies', (a) => attr(a, 'FullName')),
    connectors: namesIn(custom, 'Connectors', (c) => textOf(childI(c, 'name'))),
    appModules: namesIn(custom, 'AppModules', (a) => textOf(childI(a, 'UniqueName'))),
  };
}

/** The children of a component that `describe` reads; everything else (forms, attributes, ribbons…) is dropped while streaming. */
const SUMMARY_CHILDREN = new Set(['name', 'uniquename', 'jsonfilename', 'category', 'connectionreferencedisplayname', 'connectorid',
  'displayname', 'type', 'defaultvalue', 'environmentvariablevalues']);

/** customizations.xml reduced to what `describe` reads, read one component at a time so a large solution stays small in memory. */
async function readCustomizationsSummary(stream: Readable, what: string): Promise<XmlElement> {
  let root = element('ImportExportXml');
  await streamXml(stream, what, {
    descend: () => true,
    root: (el) => { root = el; },
    enter: (section) => { root.children.push(section); },
    element: (component, section) => {
      component.children = component.children.filter((c) => isElement(c) && SUMMARY_CHILDREN.has(c.name.toLowerCase()));
      section?.children.push(detachXml(component));
    },
    leave: () => undefined,
  });
  return root;
}

export async function readSolutionZip(zipPath: string): Promise<SolutionContents> {
  const zip = await ZipReader.open(zipPath);
  try {
    const sol = zip.findName('solution.xml');
    const cust = zip.findName('customizations.xml');
    if (!sol || !cust) throw new Error(`'${zipPath}' is not a solution zip (solution.xml or customizations.xml missing).`);
    const source: ContentSource = { names: zip.entries.map((e) => e.name), readText: (n) => zip.readText(n) };
    const custom = await zip.withEntryStream(cust, (stream) => readCustomizationsSummary(stream, `${path.basename(zipPath)}: customizations.xml`));
    return await describe(parseXml(await zip.readText(sol), 'solution.xml'), custom, source);
  } finally {
    zip.close();
  }
}

/** Reads an unpacked folder (any layout) without packing it; files that are missing are simply not inspected. */
export async function readSolutionFolder(folder: string, logger: Logger = silentLogger): Promise<SolutionContents> {
  const info = inspectSolutionFolder(folder);
  const index = new FileIndex(info.solutionRoot, await listFiles(info.solutionRoot));
  const solution = parseXml(await fs.promises.readFile(info.manifestPath, 'utf8'), 'Other/Solution.xml');
  const ctx = { root: info.solutionRoot, index, logger };
  const merged = new StringSink();
  const plan = await mergePackage(ctx, new Map([['unmanaged', merged]]));
  // Without Other/Customizations.xml nothing is merged: the folder simply has no components to describe.
  const text = merged.toString();
  const customizations = text ? parseXml(text, 'customizations.xml (merged from the folder)') : element('ImportExportXml');
  const byZip = new Map(plan.files.map((f) => [f.zipName, f.source]));
  const source: ContentSource = {
    names: [...byZip.keys()],
    readText: (n) => fs.promises.readFile(byZip.get(n) ?? path.join(info.solutionRoot, n), 'utf8'),
  };
  return describe(solution, customizations, source);
}

