/** Parameters of the unbound actions the module serves: names exactly as Dataverse spells them, with their Edm types. */
import type { ActionSpec, ParamSpec } from './actionBody';

const opt = (type: ParamSpec['type']): ParamSpec => ({ type, required: false });
const req = (type: ParamSpec['type']): ParamSpec => ({ type, required: true });

const IMPORT_COMMON: Record<string, ParamSpec> = {
  OverwriteUnmanagedCustomizations: req('Boolean'),
  PublishWorkflows: req('Boolean'),
  ConvertToManaged: opt('Boolean'),
  SkipProductUpdateDependencies: opt('Boolean'),
  SkipQueueRibbonJob: opt('Boolean'),
  AsyncRibbonProcessing: opt('Boolean'),
  ComponentParameters: opt('ComponentParameters'),
  SolutionParameters: opt('SolutionParameters'),
};

const EXPORT_PARAMS: Record<string, ParamSpec> = {
  SolutionName: req('String'),
  Managed: req('Boolean'),
  TargetVersion: opt('String'),
  ExportAutoNumberingSettings: opt('Boolean'),
  ExportCalendarSettings: opt('Boolean'),
  ExportCustomizationSettings: opt('Boolean'),
  ExportEmailTrackingSettings: opt('Boolean'),
  ExportGeneralSettings: opt('Boolean'),
  ExportMarketingSettings: opt('Boolean'),
  ExportOutlookSynchronizationSettings: opt('Boolean'),
  ExportRelationshipRoles: opt('Boolean'),
  ExportIsvConfig: opt('Boolean'),
  ExportSales: opt('Boolean'),
  ExportExternalApplications: opt('Boolean'),
  ExportComponentsParams: opt('Object'),
};

const IMPORT_ONLY: Record<string, ParamSpec> = {
  HoldingSolution: opt('Boolean'),
  LayerDesiredOrder: opt('Object'),
  IsTemplateMode: opt('Boolean'),
  TemplateSuffix: opt('String'),
  TemplateDisplayNamePrefix: opt('String'),
};

export const ACTIONS: Record<string, ActionSpec> = {
  ImportSolution: { name: 'ImportSolution', params: { ...IMPORT_COMMON, ...IMPORT_ONLY, CustomizationFile: req('Binary'), ImportJobId: req('Guid') } },
  ImportSolutionAsync: { name: 'ImportSolutionAsync', params: { ...IMPORT_COMMON, ...IMPORT_ONLY, CustomizationFile: opt('Binary'), ImportJobId: opt('Guid') } },
  StageAndUpgrade: { name: 'StageAndUpgrade', params: { ...IMPORT_COMMON, CustomizationFile: req('Binary'), ImportJobId: req('Guid') } },
  StageAndUpgradeAsync: { name: 'StageAndUpgradeAsync', params: { ...IMPORT_COMMON, CustomizationFile: opt('Binary'), ImportJobId: opt('Guid') } },
  StageSolution: { name: 'StageSolution', params: { CustomizationFile: req('Binary') } },
  ExportSolution: { name: 'ExportSolution', params: EXPORT_PARAMS },
  ExportSolutionAsync: { name: 'ExportSolutionAsync', params: EXPORT_PARAMS },
  DownloadSolutionExportData: { name: 'DownloadSolutionExportData', params: { ExportJobId: req('Guid') } },
  DeleteAndPromote: { name: 'DeleteAndPromote', params: { UniqueName: req('String') } },
  DeleteAndPromoteAsync: { name: 'DeleteAndPromoteAsync', params: { UniqueName: req('String') } },
  PublishAllXml: { name: 'PublishAllXml', params: {} },
  PublishAllXmlAsync: { name: 'PublishAllXmlAsync', params: {} },
};
