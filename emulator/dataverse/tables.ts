/** The entity sets the module serves: their columns (OData schema) and how each record becomes a row. */
import type { DataverseEnvironment } from './environment';
import type { Row, TableSchema } from './odataQuery';
import type { PublisherRecord, SolutionRecord } from './records';

const iso = (d: Date | undefined | null): string | null => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null);

function etag(seed: string): string {
  let h = 0;
  for (const ch of seed) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `W/"${h}"`;
}

export interface Table {
  schema: TableSchema;
  rows(env: DataverseEnvironment): Row[];
  related?(env: DataverseEnvironment, nav: string, row: Row): Row | null;
}

function publisherRow(p: PublisherRecord): Row {
  return { '@odata.etag': etag(p.publisherid), ...p };
}

function solutionRow(s: SolutionRecord): Row {
  return {
    '@odata.etag': etag(`${s.solutionid}${s.version}${s.modifiedOn.getTime()}`),
    solutionid: s.solutionid, uniquename: s.uniqueName, friendlyname: s.friendlyName, description: s.description, version: s.version,
    ismanaged: s.managed, isvisible: s.isVisible, _publisherid_value: s.publisher.publisherid, installedon: iso(s.installedOn),
    createdon: iso(s.createdOn), modifiedon: iso(s.modifiedOn), updatedon: iso(s.modifiedOn), parentsolutionid: null, _parentsolutionid_value: null,
    solutionpackageversion: s.firstParty ? null : '9.2', solutiontype: 0, isapimanaged: false, upgradeinfo: null,
    versionnumber: s.modifiedOn.getTime(),
  };
}

export const TABLES: Record<string, Table> = {
  solutions: {
    schema: {
      entitySet: 'solutions', entity: 'solution', key: 'solutionid',
      columns: ['solutionid', 'uniquename', 'friendlyname', 'description', 'version', 'ismanaged', 'isvisible', '_publisherid_value', 'installedon',
        'createdon', 'modifiedon', 'updatedon', 'parentsolutionid', '_parentsolutionid_value', 'solutionpackageversion', 'solutiontype', 'isapimanaged',
        'upgradeinfo', 'versionnumber'],
      expand: { publisherid: { key: 'publisherid', columns: ['publisherid', 'uniquename', 'friendlyname', 'customizationprefix', 'customizationoptionvalueprefix'] } },
    },
    rows: (env) => env.solutions().map(solutionRow),
    related: (env, nav, row) => {
      const p = [...env.publishers.values()].find((x) => x.publisherid === row._publisherid_value);
      return nav === 'publisherid' && p ? publisherRow(p) : null;
    },
  },
  publishers: {
    schema: { entitySet: 'publishers', entity: 'publisher', key: 'publisherid', columns: ['publisherid', 'uniquename', 'friendlyname', 'customizationprefix', 'customizationoptionvalueprefix'] },
    rows: (env) => [...env.publishers.values()].map(publisherRow),
  },
  msdyn_solutioncomponentsummaries: {
    schema: {
      entitySet: 'msdyn_solutioncomponentsummaries', entity: 'msdyn_solutioncomponentsummary', key: 'msdyn_solutioncomponentsummaryid',
      columns: ['msdyn_solutioncomponentsummaryid', 'msdyn_solutionid', 'msdyn_componenttype', 'msdyn_componenttypename', 'msdyn_schemaname',
        'msdyn_name', 'msdyn_objectid', 'msdyn_parentschemaname'],
    },
    rows: (env) => env.solutions().filter((s) => s.componentsKnown).flatMap((s) => s.components.map((c, i) => ({
      '@odata.etag': etag(`${s.solutionid}${i}`),
      msdyn_solutioncomponentsummaryid: `${s.solutionid.slice(0, 24)}${String(i).padStart(12, '0')}`,
      msdyn_solutionid: s.solutionid,
      msdyn_componenttype: /^\d+$/.test(c.type) ? Number(c.type) : null,
      msdyn_componenttypename: c.type,
      msdyn_schemaname: c.schemaName ?? null,
      msdyn_name: c.schemaName ?? c.id ?? null,
      msdyn_objectid: c.id ? c.id.replace(/[{}]/g, '').toLowerCase() : null,
      msdyn_parentschemaname: c.parentSchemaName ?? null,
    }))),
  },
  asyncoperations: {
    schema: {
      entitySet: 'asyncoperations', entity: 'asyncoperation', key: 'asyncoperationid',
      columns: ['asyncoperationid', 'name', 'operationtype', 'messagename', 'statecode', 'statuscode', 'message', 'friendlymessage', 'errorcode',
        'createdon', 'startedon', 'completedon', 'modifiedon', 'executiontimespan', 'data', 'dependencytoken', 'depth', 'retrycount', 'postponeuntil',
        '_regardingobjectid_value', '_ownerid_value', 'timezoneruleversionnumber', 'correlationid', 'parentpluginexecutionid', 'iswaitingforevent',
        'correlationupdatedtime', 'hostid', 'retainjobhistory', '_modifiedby_value', 'sequence', '_modifiedonbehalfby_value', '_createdonbehalfby_value',
        '_createdby_value', '_owningbusinessunit_value', '_owninguser_value', 'subtype', 'expanderstarttime', 'datablobid_name', 'datablobid', 'workload',
        'primaryentitytype', 'recurrencestarttime', '_workflowactivationid_value', '_owningextensionid_value', 'requestid', 'utcconversiontimezonecode',
        'callerorigin', 'rootexecutioncontext', 'recurrencepattern', 'workflowstagename', 'breadcrumbid', '_owningteam_value'],
    },
    // No @odata.etag: the recorded real asyncoperation row (corpus importlogs) has none.
    rows: (env) => [...env.asyncOperations.values()].map((a, i) => ({
      statecode: a.statecode, asyncoperationid: a.asyncoperationid, timezoneruleversionnumber: 0, createdon: iso(a.createdon),
      completedon: iso(a.completedon), depth: 1, messagename: a.messagename, _ownerid_value: a.ownerId, name: a.name, correlationid: a.correlationid,
      parentpluginexecutionid: '00000000-0000-0000-0000-000000000000', iswaitingforevent: false, correlationupdatedtime: iso(a.createdon),
      hostid: a.startedon ? 'EMULATOR.MSCRMAsyncService' : null, retainjobhistory: false, _modifiedby_value: a.ownerId, statuscode: a.statuscode,
      operationtype: a.operationtype, modifiedon: iso(a.modifiedon), sequence: i + 1, _modifiedonbehalfby_value: a.ownerId, retrycount: 0,
      executiontimespan: a.completedon && a.startedon ? (a.completedon.getTime() - a.startedon.getTime()) / 1000 : null,
      _createdonbehalfby_value: a.ownerId, _createdby_value: a.ownerId, startedon: iso(a.startedon), _owningbusinessunit_value: a.businessUnitId,
      dependencytoken: a.dependencytoken, _owninguser_value: a.ownerId, subtype: 1, expanderstarttime: iso(a.createdon), datablobid_name: null,
      postponeuntil: null, datablobid: null, workload: null, primaryentitytype: null, data: null, recurrencestarttime: null,
      _regardingobjectid_value: null, _workflowactivationid_value: null, _owningextensionid_value: null, requestid: null,
      utcconversiontimezonecode: null, callerorigin: null, rootexecutioncontext: null, recurrencepattern: null, friendlymessage: a.friendlymessage,
      errorcode: a.errorcode, workflowstagename: null, breadcrumbid: null, message: a.message, _owningteam_value: null,
    })),
  },
  importjobs: {
    schema: {
      entitySet: 'importjobs', entity: 'importjob', key: 'importjobid',
      columns: ['importjobid', 'name', 'solutionname', 'solutionid', 'progress', 'data', 'importcontext', 'operationcontext', 'startedon', 'completedon',
        'createdon', 'modifiedon', '_createdby_value', '_modifiedby_value', '_organizationid_value'],
    },
    rows: (env) => [...env.importJobs.values()].map((j) => ({
      '@odata.etag': etag(`${j.importjobid}${j.completedon?.getTime() ?? ''}`),
      importjobid: j.importjobid, name: j.name, solutionname: j.solutionname, solutionid: j.solutionid ?? null, progress: env.importJobProgress(j),
      data: env.importJobDataXml(j), importcontext: j.importcontext, operationcontext: j.operationcontext, startedon: iso(j.startedon),
      completedon: iso(j.completedon), createdon: iso(j.createdon), modifiedon: iso(j.modifiedon), _createdby_value: j.createdBy,
      _modifiedby_value: j.createdBy, _organizationid_value: env.descriptor.organizationId,
    })),
  },
  connectionreferences: {
    schema: {
      entitySet: 'connectionreferences', entity: 'connectionreference', key: 'connectionreferenceid',
      columns: ['connectionreferenceid', 'connectionreferencelogicalname', 'connectionreferencedisplayname', 'connectorid', 'connectionid', 'description',
        'statecode', 'statuscode', 'createdon', 'modifiedon'],
    },
    rows: (env) => [...env.connectionReferences.values()].map((c) => ({
      '@odata.etag': etag(`${c.connectionreferenceid}${c.connectionid ?? ''}`),
      connectionreferenceid: c.connectionreferenceid, connectionreferencelogicalname: c.connectionreferencelogicalname,
      connectionreferencedisplayname: c.connectionreferencedisplayname, connectorid: c.connectorid, connectionid: c.connectionid,
      description: c.description, statecode: 0, statuscode: 1, createdon: iso(c.createdon), modifiedon: iso(c.modifiedon),
    })),
  },
  connections: {
    schema: {
      entitySet: 'connections', entity: 'connection', key: 'connectionid',
      columns: ['connectionid', 'name', 'connectorid', 'statecode', 'statuscode', '_ownerid_value', 'sharedwith'],
    },
    rows: (env) => [...env.connections.values()].map((c) => ({
      '@odata.etag': etag(c.connectionid), connectionid: c.connectionid, name: c.displayname, connectorid: c.connectorid, statecode: 0, statuscode: 1,
      _ownerid_value: c.owner, sharedwith: c.sharedWith.join(','),
    })),
  },
  environmentvariabledefinitions: {
    schema: {
      entitySet: 'environmentvariabledefinitions', entity: 'environmentvariabledefinition', key: 'environmentvariabledefinitionid',
      columns: ['environmentvariabledefinitionid', 'schemaname', 'displayname', 'description', 'type', 'defaultvalue', 'isrequired'],
    },
    rows: (env) => [...env.envVarDefinitions.values()].map((d) => ({
      '@odata.etag': etag(d.environmentvariabledefinitionid), environmentvariabledefinitionid: d.environmentvariabledefinitionid,
      schemaname: d.schemaname, displayname: d.displayname, description: d.description, type: d.type, defaultvalue: d.defaultvalue, isrequired: d.isrequired,
    })),
  },
  environmentvariablevalues: {
    schema: {
      entitySet: 'environmentvariablevalues', entity: 'environmentvariablevalue', key: 'environmentvariablevalueid',
      columns: ['environmentvariablevalueid', 'schemaname', 'value', '_environmentvariabledefinitionid_value'],
    },
    rows: (env) => [...env.envVarValues.values()].map((v) => ({
      '@odata.etag': etag(`${v.environmentvariablevalueid}${v.value}`), environmentvariablevalueid: v.environmentvariablevalueid,
      schemaname: v.schemaname, value: v.value, _environmentvariabledefinitionid_value: v.definitionId,
    })),
  },
  workflows: {
    schema: {
      entitySet: 'workflows', entity: 'workflow', key: 'workflowid',
      columns: ['workflowid', 'name', 'category', 'statecode', 'statuscode', 'type', 'createdon', 'modifiedon', 'clientdata'],
    },
    rows: (env) => [...env.workflows.values()].map((w) => ({
      '@odata.etag': etag(`${w.workflowId}${w.statecode}`), workflowid: w.workflowId, name: w.name, category: w.category, statecode: w.statecode,
      statuscode: w.statuscode, type: 1, createdon: iso(w.createdon), modifiedon: iso(w.modifiedon),
      clientdata: JSON.stringify({ properties: { connectionReferences: Object.fromEntries(w.connectionReferenceNames.map((n, i) =>
        [`ref_${i}`, { connection: { connectionReferenceLogicalName: n } }])) } }),
    })),
  },
  msdyn_solutionhistories: {
    schema: {
      entitySet: 'msdyn_solutionhistories', entity: 'msdyn_solutionhistory', key: 'msdyn_solutionhistoryid',
      columns: ['msdyn_solutionhistoryid', 'msdyn_name', 'msdyn_solutionversion', 'msdyn_operation', 'msdyn_suboperation', 'msdyn_status', 'msdyn_result',
        'msdyn_ismanaged', 'msdyn_isoverwritecustomizations', 'msdyn_starttime', 'msdyn_endtime', 'msdyn_totaltime', 'msdyn_exceptionmessage',
        'msdyn_errorcode', 'msdyn_publishername', 'msdyn_solutionid', 'msdyn_activityid', 'msdyn_ispatch'],
    },
    rows: (env) => env.histories.map((h) => ({
      '@odata.etag': etag(`${h.msdyn_solutionhistoryid}${h.msdyn_status}`), ...h, msdyn_starttime: iso(h.msdyn_starttime),
      msdyn_endtime: iso(h.msdyn_endtime), msdyn_ispatch: false,
      msdyn_totaltime: h.msdyn_endtime ? Math.round((h.msdyn_endtime.getTime() - h.msdyn_starttime.getTime()) / 1000) : null,
    })),
  },
};
