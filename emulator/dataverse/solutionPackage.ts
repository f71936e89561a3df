/**
 * Reads a solution zip from disk: the manifest (solution.xml), the components defined in customizations.xml
 * and in the component folders, connection references, environment variables and cloud flows.
 * Throws InvalidSolutionFileError when the file is not a zip or not a solution.
 */
import { asArray, attr, parseXml, text, type XmlNode } from '../core/xml';
import { normalizeIdent } from './model';
import type {
  ComponentRef, ConnectionReferenceDef, EnvVarDefinitionDef, EnvVarValueDef, FlowDef, MissingDependency,
  SolutionManifest, SolutionPackage,
} from './model';
import { parseVersion } from './version';
import { decodeXmlText, openZip, type OpenedZip } from './zipFile';

export class InvalidSolutionFileError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

const ROOT_FILES = ['solution.xml', 'customizations.xml', '[Content_Types].xml'];
const MISSING_ROOT_FILES_MESSAGE =
  'The solution file is invalid. The compressed file must contain the following files at its root: solution.xml, ' +
  'customizations.xml, and [Content_Types].xml. Customization files exported from previous versions of Microsoft ' +
  'Dynamics 365 are also supported.';

function child(node: unknown, name: string): XmlNode | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const value = (node as XmlNode)[name];
  if (Array.isArray(value)) return value[0] as XmlNode;
  return typeof value === 'object' && value !== null ? (value as XmlNode) : undefined;
}

function attributesOf(node: XmlNode): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(node)) if (k.startsWith('@_')) out[k.slice(2)] = attr(node, k.slice(2)) ?? '';
  return out;
}

function localizedName(node: unknown): string {
  const names = asArray(child(node, 'LocalizedNames')?.LocalizedName);
  const preferred = names.find((n) => attr(n, 'languagecode') === '1033') ?? names[0];
  return (preferred && attr(preferred, 'description')) ?? '';
}

export function parseManifest(solutionXml: string): SolutionManifest {
  let doc: XmlNode;
  try {
    doc = parseXml(solutionXml);
  } catch (err) {
    throw new InvalidSolutionFileError(`The import file is invalid. XSD validation failed with the following error: ${(err as Error).message}`, '0x80048060');
  }
  const manifest = child(child(doc, 'ImportExportXml'), 'SolutionManifest');
  const uniqueName = text(manifest, 'UniqueName');
  const version = text(manifest, 'Version');
  const managedText = text(manifest, 'Managed');
  if (!manifest || !uniqueName || !parseVersion(version) || !['0', '1'].includes(managedText)) {
    throw new InvalidSolutionFileError(
      'The import file is invalid. XSD validation failed with the following error: solution.xml must have ' +
      'ImportExportXml/SolutionManifest with UniqueName, a Version of two to four numbers and Managed 0 or 1.', '0x80048060');
  }
  const publisher = child(manifest, 'Publisher');
  const rootComponents: ComponentRef[] = asArray(child(manifest, 'RootComponents')?.RootComponent).map((rc) => ({
    type: (attr(rc, 'type') ?? '').toLowerCase(),
    schemaName: attr(rc, 'schemaName'),
    id: attr(rc, 'id'),
  }));
  const missingDependencies: MissingDependency[] = asArray(child(manifest, 'MissingDependencies')?.MissingDependency)
    .map((md) => {
      const required = child(md, 'Required') ?? {};
      const attributes = attributesOf(required);
      const schemaName = attributes.schemaName ?? Object.entries(attributes).find(([k]) => k.startsWith('id.'))?.[1];
      return {
        required: {
          type: (attributes.type ?? '').toLowerCase(),
          schemaName,
          id: attributes.id,
          parentSchemaName: attributes.parentSchemaName,
          displayName: attributes.displayName,
          solution: attributes.solution,
          attributes,
        },
        dependent: attributesOf(child(md, 'Dependent') ?? {}),
      };
    });
  return {
    uniqueName,
    friendlyName: localizedName(manifest) || uniqueName,
    description: attr(asArray(child(manifest, 'Descriptions')?.Description)[0], 'description') ?? '',
    version,
    managed: managedText === '1',
    publisher: {
      uniqueName: text(publisher, 'UniqueName'),
      friendlyName: localizedName(publisher) || text(publisher, 'UniqueName'),
      customizationPrefix: text(publisher, 'CustomizationPrefix'),
      optionValuePrefix: Number(text(publisher, 'CustomizationOptionValuePrefix')) || 10000,
    },
    rootComponents,
    missingDependencies,
  };
}

type ParsedFlow = FlowDef & { jsonFileName: string };

interface CustomizationsContent {
  components: ComponentRef[];
  connectionReferences: ConnectionReferenceDef[];
  envVarDefinitions: EnvVarDefinitionDef[];
  flows: ParsedFlow[];
  entities: { name: string; localizedName: string }[];
}

function parseEnvVarDefinition(node: XmlNode): EnvVarDefinitionDef {
  const schemaName = attr(node, 'schemaname') ?? '';
  const displayNode = child(node, 'displayname');
  const display = (displayNode && (attr(displayNode, 'default') ?? attr(child(displayNode, 'label'), 'description'))) ?? schemaName;
  const descriptionNode = child(node, 'description');
  return {
    schemaName,
    displayName: display,
    description: (descriptionNode && attr(descriptionNode, 'default')) ?? '',
    type: Number(text(node, 'type')) || 100000000,
    defaultValue: text(node, 'defaultvalue'),
    isRequired: text(node, 'isrequired') === '1',
    parameterKey: text(node, 'parameterkey'),
    apiId: text(node, 'apiid'),
  };
}

function parseCustomizations(xml: string): CustomizationsContent {
  let doc: XmlNode;
  try {
    doc = parseXml(xml);
  } catch (err) {
    throw new InvalidSolutionFileError(`The import file is invalid. XSD validation failed with the following error: ${(err as Error).message}`, '0x80048060');
  }
  const root = child(doc, 'ImportExportXml');
  if (!root) {
    throw new InvalidSolutionFileError('The import file is invalid. customizations.xml has no ImportExportXml root element.', '0x80048060');
  }
  const components: ComponentRef[] = [];
  const entities: { name: string; localizedName: string }[] = [];
  for (const entity of asArray(child(root, 'Entities')?.Entity)) {
    const name = text(entity, 'Name');
    if (!name) continue;
    entities.push({ name, localizedName: attr(child(entity, 'Name'), 'LocalizedName') ?? name });
    components.push({ type: '1', schemaName: name });
    const info = child(child(entity, 'EntityInfo'), 'entity');
    for (const attribute of asArray(child(info, 'attributes')?.attribute)) {
      const logical = text(attribute, 'LogicalName') || attr(attribute, 'PhysicalName');
      if (logical) components.push({ type: '2', schemaName: logical, parentSchemaName: name });
    }
    for (const forms of asArray(child(entity, 'FormXml')?.forms)) {
      for (const form of asArray(forms.systemform)) {
        const id = text(form, 'formid');
        if (id) components.push({ type: '60', id, parentSchemaName: name });
      }
    }
    for (const view of asArray(child(child(entity, 'SavedQueries'), 'savedqueries')?.savedquery)) {
      const id = text(view, 'savedqueryid');
      if (id) components.push({ type: '26', id, parentSchemaName: name });
    }
  }
  for (const rel of asArray(child(root, 'EntityRelationships')?.EntityRelationship)) {
    const name = attr(rel, 'Name');
    if (name) components.push({ type: '10', schemaName: name });
  }
  for (const os of asArray(child(root, 'optionsets')?.optionset)) {
    const name = attr(os, 'Name');
    if (name) components.push({ type: '9', schemaName: name });
  }
  for (const role of asArray(child(root, 'Roles')?.Role)) {
    components.push({ type: '20', schemaName: attr(role, 'name'), id: attr(role, 'id') });
  }
  for (const wr of asArray(child(root, 'WebResources')?.WebResource)) {
    components.push({ type: '61', schemaName: text(wr, 'Name'), id: text(wr, 'WebResourceId') || undefined });
  }
  for (const app of asArray(child(root, 'AppModules')?.AppModule)) {
    const name = text(app, 'UniqueName');
    if (name) components.push({ type: '80', schemaName: name });
  }
  for (const app of asArray(child(root, 'CanvasApps')?.CanvasApp)) {
    const name = text(app, 'Name');
    if (name) components.push({ type: '300', schemaName: name });
  }
  for (const connector of asArray(child(root, 'Connectors')?.Connector)) {
    components.push({ type: '372', schemaName: text(connector, 'name'), id: text(connector, 'connectorid') || undefined });
  }
  const connectionReferences: ConnectionReferenceDef[] = [];
  for (const cr of asArray(child(root, 'connectionreferences')?.connectionreference)) {
    const logicalName = attr(cr, 'connectionreferencelogicalname') ?? '';
    if (!logicalName) continue;
    connectionReferences.push({
      logicalName,
      displayName: text(cr, 'connectionreferencedisplayname') || logicalName,
      connectorId: text(cr, 'connectorid'),
      description: text(cr, 'description'),
    });
    components.push({ type: 'connectionreference', schemaName: logicalName });
  }
  const envVarDefinitions = asArray(child(root, 'environmentvariabledefinitions')?.environmentvariabledefinition).map(parseEnvVarDefinition);
  const flows: ParsedFlow[] = [];
  for (const wf of asArray(child(root, 'Workflows')?.Workflow)) {
    const workflowId = (attr(wf, 'WorkflowId') ?? '').replace(/[{}]/g, '').toLowerCase();
    if (!workflowId) continue;
    components.push({ type: '29', id: workflowId, displayName: attr(wf, 'Name') });
    flows.push({
      workflowId,
      name: attr(wf, 'Name') ?? workflowId,
      category: Number(text(wf, 'Category')) || 0,
      requestedState: Number(text(wf, 'StateCode')) || 0,
      connectionReferenceNames: [],
      jsonFileName: text(wf, 'JsonFileName').replace(/^\//, ''),
    });
  }
  return { components, connectionReferences, envVarDefinitions, flows, entities };
}

async function readText(zip: OpenedZip, name: string): Promise<string | undefined> {
  const buffer = await zip.read(name);
  return buffer && decodeXmlText(buffer);
}

/** Connection reference logical names a cloud flow definition (Workflows/*.json) uses. */
function flowConnectionReferences(json: string): string[] {
  try {
    const doc = JSON.parse(json) as { properties?: { connectionReferences?: Record<string, { connection?: { connectionReferenceLogicalName?: string } }> } };
    return Object.values(doc.properties?.connectionReferences ?? {})
      .map((r) => r.connection?.connectionReferenceLogicalName)
      .filter((n): n is string => typeof n === 'string' && n.length > 0);
  } catch {
    return [];
  }
}

async function readEnvVarFolder(zip: OpenedZip): Promise<{ defs: EnvVarDefinitionDef[]; values: EnvVarValueDef[] }> {
  const defs: EnvVarDefinitionDef[] = [];
  const values: EnvVarValueDef[] = [];
  for (const entry of zip.entries) {
    const match = /^environmentvariabledefinitions\/([^/]+)\/(environmentvariabledefinition\.xml|environmentvariablevalues\.json)$/i.exec(entry.name);
    if (!match) continue;
    const content = (await readText(zip, entry.name)) ?? '';
    if (match[2].toLowerCase().endsWith('.xml')) {
      const node = child(parseXml(content), 'environmentvariabledefinition');
      if (node) defs.push(parseEnvVarDefinition(node));
    } else {
      try {
        const doc = JSON.parse(content) as { environmentvariablevalues?: { environmentvariablevalue?: unknown } };
        const raw = doc.environmentvariablevalues?.environmentvariablevalue;
        for (const v of (Array.isArray(raw) ? raw : [raw]) as { '@environmentvariablevalueid'?: string; value?: string }[]) {
          if (v && typeof v === 'object') values.push({ schemaName: match[1], id: v['@environmentvariablevalueid'], value: String(v.value ?? '') });
        }
      } catch {
        throw new InvalidSolutionFileError(`The import file is invalid: ${entry.name} is not valid JSON.`, '0x80048060');
      }
    }
  }
  return { defs, values };
}

/** Reads and validates a solution zip stored at `filePath`. */
export async function readSolutionPackage(filePath: string): Promise<SolutionPackage> {
  let zip: OpenedZip;
  try {
    zip = await openZip(filePath);
  } catch {
    throw new InvalidSolutionFileError('The import file is invalid: the customization file is not a valid compressed (zip) file.', '0x80048060');
  }
  try {
    const names = new Set(zip.entries.map((e) => e.name));
    if (ROOT_FILES.some((f) => !names.has(f))) throw new InvalidSolutionFileError(MISSING_ROOT_FILES_MESSAGE, '0x80048060');
    const manifest = parseManifest((await readText(zip, 'solution.xml')) ?? '');
    const custom = parseCustomizations((await readText(zip, 'customizations.xml')) ?? '');
    const folder = await readEnvVarFolder(zip);
    const envVarDefinitions = [...custom.envVarDefinitions, ...folder.defs];
    const components: ComponentRef[] = [...manifest.rootComponents, ...custom.components];
    for (const def of envVarDefinitions) components.push({ type: '380', schemaName: def.schemaName });
    for (const flow of custom.flows) {
      if (flow.jsonFileName && names.has(flow.jsonFileName)) {
        flow.connectionReferenceNames = flowConnectionReferences((await readText(zip, flow.jsonFileName)) ?? '');
      }
    }
    return {
      manifest,
      components: dedupe(components),
      connectionReferences: custom.connectionReferences,
      envVarDefinitions,
      envVarValues: folder.values,
      flows: custom.flows.map(({ workflowId, name, category, requestedState, connectionReferenceNames }) =>
        ({ workflowId, name, category, requestedState, connectionReferenceNames })),
      entities: custom.entities,
      entries: zip.entries,
    };
  } finally {
    zip.close();
  }
}

/** Merges entries that name the same component (same type, and same schema name or same id). */
function dedupe(components: ComponentRef[]): ComponentRef[] {
  const out: ComponentRef[] = [];
  const byName = new Map<string, ComponentRef>();
  const byId = new Map<string, ComponentRef>();
  for (const c of components) {
    if (!c.schemaName && !c.id) continue;
    const normalized: ComponentRef = { ...c, id: c.id ? normalizeIdent(c.id) : undefined };
    const nameKey = c.schemaName ? `${c.type}:${c.schemaName.toLowerCase()}:${(c.parentSchemaName ?? '').toLowerCase()}` : undefined;
    const idKey = normalized.id ? `${c.type}:${normalized.id}` : undefined;
    const same = (nameKey && byName.get(nameKey)) || (idKey && byId.get(idKey));
    const target = same || normalized;
    if (same) {
      same.schemaName ??= normalized.schemaName;
      same.id ??= normalized.id;
      same.displayName ??= normalized.displayName;
    } else {
      out.push(normalized);
    }
    if (nameKey) byName.set(nameKey, target);
    if (idKey) byId.set(idKey, target);
  }
  return out;
}
