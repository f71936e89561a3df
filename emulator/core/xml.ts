/**
 * The emulator's XML reading (solution.xml, customizations.xml, checker input) over fast-xml-parser. Entity
 * processing is off so a DOCTYPE can declare nothing that expands; the five predefined entities and character
 * references are decoded here.
 */
import { XMLParser } from 'fast-xml-parser';

export type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: false,
});

/** The parsed document; throws when the text is not XML. */
export function parseXml(xml: string): XmlNode {
  return parser.parse(xml.replace(/^\uFEFF/, '')) as XmlNode;
}

/** The parsed document, or an empty object when the text is not XML (the analysis then finds nothing in it). */
export function parseXmlLenient(xml: string): XmlNode {
  try {
    return parseXml(xml);
  } catch {
    return {};
  }
}

/** A value that may be one element, several or none, as an array of elements. */
export function asArray(value: unknown): XmlNode[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is XmlNode => typeof v === 'object' && v !== null);
}

/** A child element, or an empty node when absent. */
export function child(node: unknown, name: string): XmlNode {
  if (typeof node !== 'object' || node === null) return {};
  const value = (node as XmlNode)[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'object' && first !== null ? (first as XmlNode) : {};
}

/** Repeated child elements as an array (one, many or none). */
export function children(node: unknown, name: string): XmlNode[] {
  if (typeof node !== 'object' || node === null) return [];
  return asArray((node as XmlNode)[name]);
}

/** Text of a child element ('' when absent). */
export function text(node: unknown, name: string): string {
  if (typeof node !== 'object' || node === null) return '';
  const value = (node as XmlNode)[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string' || typeof first === 'number') return decodeEntities(String(first));
  if (typeof first === 'object' && first !== null) {
    const inner = (first as XmlNode)['#text'];
    return inner === undefined ? '' : decodeEntities(String(inner));
  }
  return '';
}

export function attr(node: unknown, name: string): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const value = (node as XmlNode)[`@_${name}`];
  return value === undefined ? undefined : decodeEntities(String(value));
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (whole, name: string) => {
    if (name[0] !== '#') return PREDEFINED[name.toLowerCase()] ?? whole;
    const code = name[1].toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
