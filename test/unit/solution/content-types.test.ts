import assert from 'node:assert/strict';
import { contentTypesXml } from '../../../shared/solution/content-types';

describe('[Content_Types].xml generation', () => {
  it('writes xml first, other extensions in order of appearance (case kept), and an Override per extension-less part', () => {
    const text = contentTypesXml([
      'customizations.xml', 'solution.xml', 'Connector/c_openapidefinition.json', 'Connector/c_iconblob.Png',
      'WebResources/new_scriptjsB9E478CC-2ADB-E611-80D9-3863BB34CDB0', 'CanvasApps/a_BackgroundImageUri', 'Other/x.json', '[Content_Types].xml',
    ]).toString('utf8');
    assert.equal(text, '\uFEFF<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="xml" ContentType="application/octet-stream" /><Default Extension="json" ContentType="application/octet-stream" />' +
      '<Default Extension="Png" ContentType="application/octet-stream" />' +
      '<Override PartName="/WebResources/new_scriptjsB9E478CC-2ADB-E611-80D9-3863BB34CDB0" ContentType="application/octet-stream" />' +
      '<Override PartName="/CanvasApps/a_BackgroundImageUri" ContentType="application/octet-stream" /></Types>');
  });
});
