/**
 * [Content_Types].xml as Dataverse exports write it: BOM + declaration, one line, `xml` first, then a Default per
 * other extension in order of appearance (case kept, e.g. `Png`), and an Override for every extension-less part.
 */
export const CONTENT_TYPES_NAME = '[Content_Types].xml';

export function contentTypesXml(entryNames: string[]): Buffer {
  const extensions = ['xml'];
  const overrides: string[] = [];
  for (const name of entryNames) {
    if (name === CONTENT_TYPES_NAME) continue;
    const base = name.slice(name.lastIndexOf('/') + 1);
    const dot = base.lastIndexOf('.');
    if (dot <= 0 || dot === base.length - 1) overrides.push(`/${name}`);
    else if (!extensions.includes(base.slice(dot + 1))) extensions.push(base.slice(dot + 1));
  }
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const body = [
    ...extensions.map((e) => `<Default Extension="${esc(e)}" ContentType="application/octet-stream" />`),
    ...overrides.map((o) => `<Override PartName="${esc(o)}" ContentType="application/octet-stream" />`),
  ].join('');
  return Buffer.from(`\uFEFF<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">${body}</Types>`, 'utf8');
}
