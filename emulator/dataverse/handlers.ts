/** The Web API routes of the solution lifecycle: actions, functions and entity sets (protocol.md §3–4). */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type { DataverseRequest } from '../core/contracts';
import { type ActionBody, isGuid, readActionBody } from './actionBody';
import { ACTIONS } from './actionSpecs';
import type { DataverseEnvironment } from './environment';
import { ODataFailure, recordNotFound } from './errors';
import { formattedResults } from './importLog';
import type { ImportOptions } from './importRules';
import { parseQuery, runQuery } from './odataQuery';
import { sendJson, sendJsonWithBase64File, sendNoContent } from './responses';
import { TABLES } from './tables';

function context(request: DataverseRequest, suffix: string): string {
  return `${request.apiBase}/$metadata#${suffix}`;
}

function bool(body: ActionBody, name: string): boolean {
  return body.values[name] === true;
}

function importOptionsFrom(body: ActionBody, request: DataverseRequest, stageAndUpgrade: boolean): ImportOptions {
  return {
    holdingSolution: bool(body, 'HoldingSolution'),
    stageAndUpgrade,
    overwriteUnmanagedCustomizations: bool(body, 'OverwriteUnmanagedCustomizations'),
    publishWorkflows: bool(body, 'PublishWorkflows'),
    componentParameters: (body.values.ComponentParameters as Record<string, unknown>[] | null | undefined) ?? [],
    identity: request.identity,
  };
}

const EMPTY_GUID = '00000000-0000-0000-0000-000000000000';

/**
 * The solution file of an import: the staged upload named in SolutionParameters.StageSolutionUploadId when
 * there is one (public clients send it together with CustomizationFile; the empty GUID means none),
 * otherwise the uploaded CustomizationFile.
 */
async function importFile(env: DataverseEnvironment, body: ActionBody, action: string): Promise<{ path: string; size: number }> {
  const uploaded = body.binaries.CustomizationFile;
  const stagedId = (body.values.SolutionParameters as { StageSolutionUploadId?: string } | null | undefined)?.StageSolutionUploadId;
  if (stagedId && stagedId !== EMPTY_GUID) {
    const staged = env.takeStagedUpload(stagedId);
    if (uploaded) await fs.promises.rm(uploaded.path, { force: true });
    return { path: staged.filePath, size: staged.fileSize };
  }
  if (uploaded) return uploaded;
  throw new ODataFailure(400, '0x80040203',
    `${action}: the solution file is missing. Send it as CustomizationFile (base64), or stage it with StageSolution and pass ` +
    'SolutionParameters.StageSolutionUploadId.');
}

async function removeUploads(body: ActionBody): Promise<void> {
  for (const b of Object.values(body.binaries)) await fs.promises.rm(b.path, { force: true });
}

async function handleImport(env: DataverseEnvironment, request: DataverseRequest, action: string, body: ActionBody): Promise<void> {
  const stageAndUpgrade = action.startsWith('StageAndUpgrade');
  const isAsync = action.endsWith('Async');
  let file: { path: string; size: number };
  try {
    env.ensureLockFree('Import'); // before a staged upload is taken, so a retry after 429 can still use it
    file = await importFile(env, body, action);
  } catch (err) {
    await removeUploads(body);
    throw err;
  }
  const importJobId = typeof body.values.ImportJobId === 'string' ? body.values.ImportJobId.toLowerCase() : randomUUID();
  let started;
  try {
    started = await env.startImport({
      filePath: file.path, fileSize: file.size, importJobId, options: importOptionsFrom(body, request, stageAndUpgrade),
      asyncMessage: isAsync ? action : undefined,
    });
  } catch (err) {
    await fs.promises.rm(file.path, { force: true });
    throw err;
  }
  if (isAsync) {
    sendJson(request.res, 200, {
      '@odata.context': context(request, `Microsoft.Dynamics.CRM.${action}Response`),
      ImportJobKey: importJobId,
      AsyncOperationId: started.asyncOperationId,
    });
    return;
  }
  const result = await started.done;
  if (!result.ok) throw new ODataFailure(400, result.code, result.message);
  sendNoContent(request.res);
}

function stageComponentDetails(env: DataverseEnvironment, staged: Awaited<ReturnType<DataverseEnvironment['stage']>>): unknown[] {
  const { pkg } = staged.upload;
  const present = (exists: boolean) => (exists ? 'True' : 'False');
  const entry = (name: string, type: string, isPresent: string, attributes: [string, string][]) => ({
    ComponentName: name, ComponentTypeName: type, IsPresentInOrg: isPresent,
    Attributes: { Count: attributes.length, Keys: attributes.map((a) => a[0]), Values: attributes.map((a) => a[1]) },
  });
  return [
    entry(pkg.manifest.friendlyName, 'solution', 'Unknown', [['localizedname', pkg.manifest.friendlyName], ['description', pkg.manifest.description]]),
    ...pkg.entities.map((e) => entry(e.localizedName, 'entity', present(env.componentExists({ type: '1', schemaName: e.name })), [['name', e.name]])),
    ...pkg.connectionReferences.map((cr) => entry(cr.logicalName, 'connectionreference', present(env.connectionReferences.has(cr.logicalName.toLowerCase())), [
      ['connectorid', cr.connectorId], ['connectionreferencelogicalname', cr.logicalName], ['connectionreferencedisplayname', cr.displayName], ['description', cr.description],
    ])),
    ...pkg.envVarDefinitions.map((d) => entry(d.displayName, 'EnvironmentVariableDefinition', present(env.envVarDefinitions.has(d.schemaName.toLowerCase())), [
      ['schemaname', d.schemaName], ['displayname', d.displayName], ['description', d.description], ['type', String(d.type)], ['defaultvalue', d.defaultValue],
      ['isrequired', String(d.isRequired)], ['parameterkey', d.parameterKey], ['parentdefinitionid', ''], ['apiid', d.apiId],
    ])),
    ...pkg.envVarValues.map((v) => entry(v.schemaName, 'EnvironmentVariableValue', present(env.envVarValues.has(v.schemaName.toLowerCase())), [
      ['schemaname', v.schemaName], ['environmentvariablevalueid', v.id ?? ''], ['value', v.value],
    ])),
  ];
}

async function handleStage(env: DataverseEnvironment, request: DataverseRequest, body: ActionBody): Promise<void> {
  const file = body.binaries.CustomizationFile;
  if (!file) throw new ODataFailure(400, '0x80040203', "StageSolution: the parameter 'CustomizationFile' must not be null.");
  const staged = await env.stage(file.path, file.size);
  const m = staged.upload.pkg.manifest;
  const previous = env.solution(m.uniqueName);
  sendJson(request.res, 200, {
    '@odata.context': context(request, 'Microsoft.Dynamics.CRM.StageSolutionResponse'),
    StageSolutionResults: {
      StageSolutionUploadId: staged.upload.id,
      StageSolutionStatus: 'Passed',
      SolutionComponentsDetails: stageComponentDetails(env, staged),
      SolutionDetails: {
        SolutionUniqueName: m.uniqueName, SolutionFriendlyName: m.friendlyName, SolutionDescription: m.description,
        PublisherUniqueName: m.publisher.uniqueName, PublisherFriendlyName: m.publisher.friendlyName,
        PreviousSolutionUniqueName: previous?.uniqueName ?? null, PreviousSolutionFriendlyName: previous?.friendlyName ?? null,
        PreviousPublisherUniqueName: previous?.publisher.uniquename ?? null, PreviousPublisherFriendlyName: previous?.publisher.friendlyname ?? null,
        IsPatchSolution: false, IsManaged: m.managed, PreviousIsManaged: previous?.managed ?? false, SolutionVersion: m.version,
        PreviousSolutionVersion: previous?.version ?? null, PreviousPatchSolutionsNames: [], IsPrerequisitesExport: false,
        HasPendingUpgrade: env.solution(`${m.uniqueName}_Upgrade`) !== undefined,
      },
      MissingDependencies: staged.missing.map((md) => ({
        RequiredComponentSchemaName: md.required.schemaName ?? null, RequiredComponentDisplayName: md.required.displayName ?? null,
        RequiredComponentParentSchemaName: md.required.parentSchemaName ?? null, RequiredComponentParentDisplayName: md.required.attributes.parentDisplayName ?? null,
        RequiredComponentId: md.required.id ?? null, RequiredSolutionName: md.required.solution ?? null, RequiredComponentType: md.required.type,
        DependentComponentSchemaName: md.dependent.schemaName ?? null, DependentComponentDisplayName: md.dependent.displayName ?? null,
        DependentComponentParentSchemaName: md.dependent.parentSchemaName ?? null, DependentComponentParentDisplayName: md.dependent.parentDisplayName ?? null,
        DependentComponentType: md.dependent.type ?? null, DependentComponentId: md.dependent.id ?? null,
      })),
      SolutionValidationResults: [],
    },
  });
}

async function handleExport(env: DataverseEnvironment, request: DataverseRequest, action: string, body: ActionBody): Promise<void> {
  const name = body.values.SolutionName as string;
  const managed = body.values.Managed === true;
  const record = env.exportableSolution(name);
  if (action === 'ExportSolutionAsync') {
    const started = env.startExportAsync(record, managed, request.identity);
    sendJson(request.res, 200, {
      '@odata.context': context(request, 'Microsoft.Dynamics.CRM.ExportSolutionAsyncResponse'),
      AsyncOperationId: started.asyncOperationId, ExportJobId: started.exportJobId,
    });
    return;
  }
  const exported = await env.exportToFile(record, managed);
  try {
    await sendJsonWithBase64File(request.res, { '@odata.context': context(request, 'Microsoft.Dynamics.CRM.ExportSolutionResponse') }, 'ExportSolutionFile', exported.filePath);
  } finally {
    await fs.promises.rm(exported.filePath, { force: true });
  }
}

async function handleDownload(env: DataverseEnvironment, request: DataverseRequest, body: ActionBody): Promise<void> {
  const id = (body.values.ExportJobId as string).toLowerCase();
  const job = env.exportJobs.get(id);
  if (!job) throw recordNotFound('exportsolutionupload', id);
  if (job.failure) throw new ODataFailure(400, '0x80048051', `The export job ${id} failed: ${job.failure}`);
  if (!job.filePath) {
    throw new ODataFailure(400, '0x80048052', `The export job ${id} has not completed yet. Wait until its async operation reaches statecode 3, then download.`);
  }
  await sendJsonWithBase64File(request.res, { '@odata.context': context(request, 'Microsoft.Dynamics.CRM.DownloadSolutionExportDataResponse') }, 'ExportSolutionFile', job.filePath);
}

async function handleAction(env: DataverseEnvironment, request: DataverseRequest, action: string): Promise<void> {
  const spec = ACTIONS[action];
  const body = await readActionBody(request.req, spec, env.folder);
  switch (action) {
    case 'ImportSolution':
    case 'ImportSolutionAsync':
    case 'StageAndUpgrade':
    case 'StageAndUpgradeAsync':
      return handleImport(env, request, action, body);
    case 'StageSolution':
      return handleStage(env, request, body);
    case 'ExportSolution':
    case 'ExportSolutionAsync':
      return handleExport(env, request, action, body);
    case 'DownloadSolutionExportData':
      return handleDownload(env, request, body);
    case 'DeleteAndPromote':
    case 'DeleteAndPromoteAsync': {
      const started = env.startDeleteAndPromote(body.values.UniqueName as string, request.identity, action === 'DeleteAndPromoteAsync' ? action : undefined);
      if (started.asyncOperationId) {
        sendJson(request.res, 200, { '@odata.context': context(request, 'Microsoft.Dynamics.CRM.DeleteAndPromoteAsyncResponse'), AsyncOperationId: started.asyncOperationId });
        return;
      }
      await started.done;
      sendJson(request.res, 200, { '@odata.context': context(request, 'Microsoft.Dynamics.CRM.DeleteAndPromoteResponse'), SolutionId: started.solutionId });
      return;
    }
    default: {
      const started = env.startPublishAll(request.identity, action === 'PublishAllXmlAsync' ? action : undefined);
      if (started.asyncOperationId) {
        sendJson(request.res, 200, { '@odata.context': context(request, 'Microsoft.Dynamics.CRM.PublishAllXmlAsyncResponse'), AsyncOperationId: started.asyncOperationId });
        return;
      }
      await started.done;
      sendNoContent(request.res);
    }
  }
}

/** `Name(ImportJobId=<guid>)` or `Name(ImportJobId=@p)?@p=<guid>` (quotes around the GUID tolerated). */
function functionJobId(args: string, query: URLSearchParams, name: string): string {
  const m = /^ImportJobId=(.+)$/.exec(args.trim());
  if (!m) throw new ODataFailure(400, '0x80060888', `The function '${name}' takes one parameter, ImportJobId (Edm.Guid).`);
  let value = m[1];
  if (value.startsWith('@')) value = query.get(value) ?? '';
  value = value.replace(/^'(.*)'$/, '$1');
  if (!isGuid(value)) throw new ODataFailure(400, '0x80060888', `The value '${value}' of parameter ImportJobId of '${name}' is not a valid Edm.Guid.`);
  return value.toLowerCase();
}

function handleImportResultFunction(env: DataverseEnvironment, request: DataverseRequest, name: string, args: string): void {
  const id = functionJobId(args, request.query, name);
  const job = env.importJobs.get(id);
  if (!job) throw recordNotFound('importjob', id);
  const outcome = { ...job.outcome, progress: env.importJobProgress(job) };
  const formatted = formattedResults(outcome);
  if (name === 'RetrieveFormattedImportJobResults') {
    sendJson(request.res, 200, { '@odata.context': context(request, 'Microsoft.Dynamics.CRM.RetrieveFormattedImportJobResultsResponse'), FormattedResults: formatted });
    return;
  }
  const done = job.completedon !== undefined;
  sendJson(request.res, 200, {
    '@odata.context': context(request, 'Microsoft.Dynamics.CRM.RetrieveSolutionImportResultResponse'),
    SolutionOperationResult: {
      FormattedResults: formatted,
      Type: 'Import',
      Status: !done ? 'InProgress' : outcome.result === 'failure' ? 'Failed' : 'Passed',
      WarningMessages: outcome.components.filter((c) => c.result === 'warning').map((c) => c.errorText ?? ''),
      ErrorMessages: done && outcome.result === 'failure' ? [outcome.errorText] : [],
      ActionLink: { Label: null, Target: null },
    },
  });
}

function handleEntitySet(env: DataverseEnvironment, request: DataverseRequest, set: string, key: string | undefined): void {
  const table = TABLES[set];
  const method = request.method.toUpperCase();
  if (key !== undefined && !isGuid(key)) {
    throw new ODataFailure(400, '0x80060888', `Bad Request - Error in query syntax: '${key}' is not a valid key for ${set}; use the GUID of the row.`);
  }
  if (method === 'DELETE') {
    if (set !== 'solutions' || key === undefined) throw new ODataFailure(405, '0x80060888', `The HTTP method DELETE is not supported on ${set}${key ? '(id)' : ''} by this emulator.`);
    env.deleteSolution(key);
    sendNoContent(request.res);
    return;
  }
  if (method !== 'GET') throw new ODataFailure(405, '0x80060888', `The HTTP method ${method} is not supported on ${set} by this emulator.`);
  const parsed = parseQuery(request.query, table.schema);
  const related = (nav: string, row: Record<string, unknown>) => table.related?.(env, nav, row) ?? null;
  if (key !== undefined) {
    if (parsed.filter || parsed.orderby.length > 0 || parsed.top !== undefined || parsed.count) {
      throw new ODataFailure(400, '0x80060888', 'Only $select and $expand can be used when a single row is addressed by its key.');
    }
    const row = table.rows(env).find((r) => String(r[table.schema.key]).toLowerCase() === key.toLowerCase());
    if (!row) throw recordNotFound(table.schema.entity, key);
    const result = runQuery([row], parsed, table.schema, related);
    sendJson(request.res, 200, { '@odata.context': context(request, `${result.contextSuffix}/$entity`), ...result.rows[0] });
    return;
  }
  const result = runQuery(table.rows(env), parsed, table.schema, related);
  sendJson(request.res, 200, {
    '@odata.context': context(request, result.contextSuffix),
    ...(result.count !== undefined ? { '@odata.count': result.count } : {}),
    value: result.rows,
  });
}

/** Routes one request; returns false for a resource this module does not serve. */
export async function route(env: DataverseEnvironment, request: DataverseRequest): Promise<boolean> {
  const resource = request.resource.replace(/^Microsoft\.Dynamics\.CRM\./, '');
  const method = request.method.toUpperCase();
  if (ACTIONS[resource]) {
    if (method !== 'POST') throw new ODataFailure(405, '0x80060888', `The action '${resource}' is invoked with POST, not ${method}.`);
    await handleAction(env, request, resource);
    return true;
  }
  const fn = /^(RetrieveSolutionImportResult|RetrieveFormattedImportJobResults)\((.*)\)$/.exec(resource);
  if (fn) {
    if (method !== 'GET') throw new ODataFailure(405, '0x80060888', `The function '${fn[1]}' is invoked with GET, not ${method}.`);
    handleImportResultFunction(env, request, fn[1], fn[2]);
    return true;
  }
  const set = /^([a-z_]+)(?:\(([^)]*)\))?$/.exec(resource);
  if (set && TABLES[set[1]]) {
    handleEntitySet(env, request, set[1], set[2]);
    return true;
  }
  return false;
}
