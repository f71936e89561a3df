/** Work item resources in the JSON shape Azure DevOps answers with (api-version 7.x). */
import { isIdentityValue, type IdentityValue, type StoredComment, type StoredWorkItem } from './state';

export function identityJson(collectionUrl: string, identity: IdentityValue): Record<string, unknown> {
  const avatar = `${collectionUrl}/_apis/GraphProfile/MemberAvatars/aad.${Buffer.from(identity.id).toString('base64url')}`;
  return {
    displayName: identity.displayName,
    url: `${collectionUrl}/_apis/Identities/${identity.id}`,
    _links: { avatar: { href: avatar } },
    id: identity.id,
    uniqueName: identity.uniqueName,
    imageUrl: avatar,
    descriptor: `aad.${Buffer.from(identity.id).toString('base64url')}`,
  };
}

function fieldValueJson(collectionUrl: string, value: unknown): unknown {
  return isIdentityValue(value) ? identityJson(collectionUrl, value) : value;
}

export function workItemUrl(collectionUrl: string, item: StoredWorkItem): string {
  return `${collectionUrl}/${item.project.id}/_apis/wit/workItems/${item.id}`;
}

export function workItemJson(collectionUrl: string, item: StoredWorkItem, options: { relations: boolean; fields?: string[] }): Record<string, unknown> {
  const wanted = options.fields?.map((f) => f.toLowerCase());
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item.fields)) {
    if (!wanted || wanted.includes(name.toLowerCase())) fields[name] = fieldValueJson(collectionUrl, value);
  }
  const url = workItemUrl(collectionUrl, item);
  const projectBase = `${collectionUrl}/${item.project.id}`;
  return {
    id: item.id,
    rev: item.rev,
    fields,
    ...(options.relations && item.relations.length > 0 ? { relations: item.relations } : {}),
    _links: {
      self: { href: url },
      workItemUpdates: { href: `${url}/updates` },
      workItemRevisions: { href: `${url}/revisions` },
      workItemComments: { href: `${url}/comments` },
      html: { href: `${projectBase}/_workitems/edit/${item.id}` },
      workItemType: { href: `${projectBase}/_apis/wit/workItemTypes/${encodeURIComponent(String(item.fields['System.WorkItemType']))}` },
      fields: { href: `${projectBase}/_apis/wit/fields` },
    },
    url,
  };
}

/** `GET …/workItems/{id}/updates`: one entry per revision; revisedDate is when it was superseded (9999 for the newest). */
export function updatesJson(collectionUrl: string, item: StoredWorkItem): Record<string, unknown> {
  const url = workItemUrl(collectionUrl, item);
  const value = item.revisions.map((revision, i) => {
    const fields: Record<string, unknown> = {};
    for (const [name, change] of Object.entries(revision.fields)) {
      fields[name] = {
        ...(change.oldValue !== undefined ? { oldValue: fieldValueJson(collectionUrl, change.oldValue) } : {}),
        ...(change.newValue !== undefined ? { newValue: fieldValueJson(collectionUrl, change.newValue) } : {}),
      };
    }
    return {
      id: i + 1,
      workItemId: item.id,
      rev: revision.rev,
      revisedBy: identityJson(collectionUrl, revision.by),
      revisedDate: item.revisions[i + 1]?.date ?? '9999-01-01T00:00:00Z',
      fields,
      ...(revision.relationsAdded.length > 0 ? { relations: { added: revision.relationsAdded } } : {}),
      url: `${url}/updates/${i + 1}`,
    };
  });
  return { count: value.length, value };
}

export function commentJson(collectionUrl: string, item: StoredWorkItem, comment: StoredComment): Record<string, unknown> {
  const by = identityJson(collectionUrl, comment.by);
  return {
    workItemId: item.id,
    id: comment.id,
    version: 1,
    text: comment.text,
    createdBy: by,
    createdDate: comment.date,
    modifiedBy: by,
    modifiedDate: comment.date,
    url: `${collectionUrl}/${item.project.id}/_apis/wit/workItems/${item.id}/comments/${comment.id}`,
  };
}
