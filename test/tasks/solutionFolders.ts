/**
 * Generated unpacked solutions for the pack-version tests, in both layouts the task accepts: a flat
 * SolutionPackager folder (Other/Solution.xml at the top) and a pac project (Contoso.cdsproj + src/).
 * One web resource whose content can be left out (missing-file errors) or supplied through a map file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type SolutionLayout = 'flat' | 'project';

export interface SolutionFolderSpec {
  layout: SolutionLayout;
  uniqueName?: string;
  version?: string;
  /** Leave the web resources' content files out of the tree (they must then be mapped or reported). */
  omitWebResourceContent?: boolean;
}

export interface GeneratedSolution {
  /** The folder to give the task (the project folder, or the flat tree). */
  folder: string;
  /** The folder holding Other/. */
  solutionRoot: string;
  manifestPath: string;
  uniqueName: string;
  version: string;
  webResources: { treePath: string; content: string }[];
}

const WEB_RESOURCES = [
  { name: 'con_/scripts/main.js', id: '6f3c2a1e-8d4b-4c1a-9e2f-0a1b2c3d4e5f', content: 'function onLoad(context) { return context; }\n' },
  { name: 'con_/styles/site.css', id: '0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b', content: 'body { margin: 0; }\n' },
];

export function solutionXml(uniqueName: string, version: string): string {
  const roots = WEB_RESOURCES.map((w) => `      <RootComponent type="61" schemaName="${w.name}" behavior="0" />`).join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>
<ImportExportXml version="9.2.24053.198" SolutionPackageVersion="9.2" languagecode="1033" generatedBy="CrmLive" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <SolutionManifest>
    <UniqueName>${uniqueName}</UniqueName>
    <LocalizedNames>
      <LocalizedName description="${uniqueName} solution" languagecode="1033" />
    </LocalizedNames>
    <Descriptions />
    <Version>${version}</Version>
    <Managed>2</Managed>
    <Publisher>
      <UniqueName>contoso</UniqueName>
      <LocalizedNames>
        <LocalizedName description="Contoso" languagecode="1033" />
      </LocalizedNames>
      <Descriptions />
      <EMailAddress xsi:nil="true"></EMailAddress>
      <SupportingWebsiteUrl xsi:nil="true"></SupportingWebsiteUrl>
      <CustomizationPrefix>con</CustomizationPrefix>
      <CustomizationOptionValuePrefix>10000</CustomizationOptionValuePrefix>
      <Addresses />
    </Publisher>
    <RootComponents>
${roots}
    </RootComponents>
    <MissingDependencies />
  </SolutionManifest>
</ImportExportXml>
`;
}

const CUSTOMIZATIONS_XML = `<?xml version="1.0" encoding="utf-8"?>
<ImportExportXml xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" OrganizationVersion="9.2.24053.198" OrganizationSchemaType="Standard" CRMServerServiceabilityVersion="9.2.24053.00198">
  <Entities />
  <Roles />
  <Workflows />
  <FieldSecurityProfiles />
  <Templates />
  <EntityMaps />
  <EntityRelationships />
  <OrganizationSettings />
  <optionsets />
  <CustomControls />
  <EntityDataProviders />
  <Languages>
    <Language>1033</Language>
  </Languages>
</ImportExportXml>
`;

function webResourceDataXml(name: string, id: string): string {
  const zipName = `${name.replace(/[^A-Za-z0-9_]/g, '')}${id.toUpperCase()}`;
  return `<?xml version="1.0" encoding="utf-8"?>
<WebResource xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <WebResourceId>{${id}}</WebResourceId>
  <Name>${name}</Name>
  <DisplayName>${path.posix.basename(name)}</DisplayName>
  <WebResourceType>${name.endsWith('.css') ? 2 : 3}</WebResourceType>
  <IntroducedVersion>1.0.0.0</IntroducedVersion>
  <IsEnabledForMobileClient>0</IsEnabledForMobileClient>
  <IsAvailableForMobileOffline>0</IsAvailableForMobileOffline>
  <IsCustomizable>1</IsCustomizable>
  <CanBeDeleted>1</CanBeDeleted>
  <IsHidden>0</IsHidden>
  <FileName>/WebResources/${zipName}</FileName>
</WebResource>
`;
}

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, 'utf8');
}

/** Writes an unpacked solution under `parent` and describes it. */
export function writeSolutionFolder(parent: string, spec: SolutionFolderSpec): GeneratedSolution {
  const uniqueName = spec.uniqueName ?? 'Contoso';
  const version = spec.version ?? '1.2.0.0';
  const folder = path.join(parent, spec.layout === 'flat' ? uniqueName : `${uniqueName}Project`);
  const solutionRoot = spec.layout === 'flat' ? folder : path.join(folder, 'src');
  if (spec.layout === 'project') {
    write(path.join(folder, `${uniqueName}.cdsproj`), `<?xml version="1.0" encoding="utf-8"?>
<Project ToolsVersion="15.0" DefaultTargets="Build" xmlns="http://schemas.microsoft.com/developer/msbuild/2003">
  <PropertyGroup>
    <ProjectGuid>{3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f}</ProjectGuid>
    <TargetFrameworkVersion>v4.6.2</TargetFrameworkVersion>
    <TargetFramework>net462</TargetFramework>
    <SolutionRootPath>src</SolutionRootPath>
  </PropertyGroup>
</Project>
`);
  }
  const manifestPath = path.join(solutionRoot, 'Other', 'Solution.xml');
  write(manifestPath, solutionXml(uniqueName, version));
  write(path.join(solutionRoot, 'Other', 'Customizations.xml'), CUSTOMIZATIONS_XML);
  const webResources = WEB_RESOURCES.map((w) => {
    const treePath = `WebResources/${w.name}`;
    write(path.join(solutionRoot, `${treePath}.data.xml`), webResourceDataXml(w.name, w.id));
    if (!spec.omitWebResourceContent) write(path.join(solutionRoot, treePath), w.content);
    return { treePath, content: w.content };
  });
  return { folder, solutionRoot, manifestPath, uniqueName, version, webResources };
}

/** Writes the web resources' content under `buildDir` and a map file pointing the tree at them; returns the map file. */
export function writeMapFile(solution: GeneratedSolution, buildDir: string): string {
  const rules = solution.webResources.map((w) => {
    const target = path.join(buildDir, path.posix.basename(w.treePath));
    write(target, `/* built */ ${w.content}`);
    return `  <FileToFile map="${w.treePath}" to="${path.relative(solution.solutionRoot, target).split(path.sep).join('/')}" />`;
  });
  const mapFile = path.join(buildDir, 'map.xml');
  write(mapFile, `<?xml version="1.0" encoding="utf-8"?>\n<Mapping>\n${rules.join('\n')}\n</Mapping>\n`);
  return mapFile;
}
