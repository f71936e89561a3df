/**
 * Resource discovery as azure-devops-node-api uses it: `OPTIONS {collection}/_apis/{area}` lists the area's
 * resource locations (route template and versions, from which the client builds URLs and negotiates the
 * api-version), and `GET {collection}/_apis/ResourceAreas` says where each area is hosted.
 */
export interface ApiResourceLocation {
  id: string;
  area: string;
  resourceName: string;
  routeTemplate: string;
  resourceVersion: number;
  minVersion: string;
  maxVersion: string;
  releasedVersion: string;
}

export const WIT_AREA_ID = '5264459e-e5e0-4bd8-b118-0985e68a4ec5';
const LOCATION_AREA_ID = '00d9565f-ed9c-4a06-9a50-00e7896ccab4';

const released = { minVersion: '1.0', maxVersion: '7.2', releasedVersion: '7.1' };
/** Preview-only resources: clients must send `-preview` (the comments API). */
const previewOnly = { minVersion: '5.0', maxVersion: '7.2', releasedVersion: '0.0' };

const AREA_LOCATIONS: Record<string, ApiResourceLocation[]> = {
  location: [
    { id: 'e81700f7-3be2-46de-8624-2eb35882fcaa', area: 'Location', resourceName: 'ResourceAreas', routeTemplate: '_apis/{resource}/{areaId}', resourceVersion: 1, ...previewOnly },
  ],
  wit: [
    { id: '72c7ddf8-2cdc-4f60-90cd-ab71c14a399b', area: 'wit', resourceName: 'workItems', routeTemplate: '{project}/_apis/{area}/{resource}/{id}', resourceVersion: 3, ...released },
    { id: '62d3d110-0047-428c-ad3c-4fe872c91c74', area: 'wit', resourceName: 'workItems', routeTemplate: '{project}/_apis/{area}/{resource}/${type}', resourceVersion: 3, ...released },
    { id: '6570bf97-d02c-4a91-8d93-3abe9895b1a9', area: 'wit', resourceName: 'updates', routeTemplate: '{project}/_apis/{area}/workItems/{id}/{resource}/{updateNumber}', resourceVersion: 3, ...released },
    { id: '7c8d7a76-4a09-43e8-b5df-bd792f4ac6aa', area: 'wit', resourceName: 'workItemTypes', routeTemplate: '{project}/_apis/{area}/{resource}/{type}', resourceVersion: 2, ...released },
    { id: '608aac0a-32e1-4493-a863-b9cf4566d257', area: 'wit', resourceName: 'comments', routeTemplate: '{project}/_apis/{area}/workItems/{workItemId}/{resource}/{commentId}', resourceVersion: 4, ...previewOnly },
  ],
};

/** The locations of an area (case-insensitive), or undefined for an area this emulator does not serve. */
export function areaLocations(area: string): { count: number; value: ApiResourceLocation[] } | undefined {
  const value = AREA_LOCATIONS[area.toLowerCase()];
  return value ? { count: value.length, value } : undefined;
}

export function resourceAreas(collectionUrl: string): { count: number; value: { id: string; name: string; locationUrl: string }[] } {
  const value = [
    { id: WIT_AREA_ID, name: 'wit', locationUrl: `${collectionUrl}/` },
    { id: LOCATION_AREA_ID, name: 'Location', locationUrl: `${collectionUrl}/` },
  ];
  return { count: value.length, value };
}
