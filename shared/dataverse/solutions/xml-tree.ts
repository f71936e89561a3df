/**
 * A small element tree over fast-xml-parser for server-produced XML (import logs): entity expansion off, DTDs
 * refused, size bounded; attribute and text values are decoded for the five predefined entities and numeric
 * character references only.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Concatenated text content directly inside this element (decoded). */
  text: string;
}

/** Import logs are usually kilobytes; a megabyte-sized one is a very large solution. Beyond this we refuse. */
export const MAX_XML_CHARS = 64 * 1024 * 1024;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

export class XmlParseError extends Error {}

/** Parses `text` and returns its root element; throws XmlParseError saying why it could not. */
export function parseXmlTree(text: string, what: string): XmlNode {
  const body = text.replace(/^\uFEFF/, '');
  if (body.length > MAX_XML_CHARS) throw new XmlParseError(`${what} is larger than ${MAX_XML_CHARS} characters; not parsed.`);
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new XmlParseError(`${what} contains a DTD; refused (entity expansion).`);
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new XmlParseError(`${what} is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}).`);
  const roots = convert(parser.parse(body) as RawNode[]);
  if (roots.length !== 1) throw new XmlParseError(`${what} has ${roots.length} root elements, expected 1.`);
  return roots[0];
}

type RawNode = Record<string, unknown>;

function convert(raw: RawNode[]): XmlNode[] {
  const out: XmlNode[] = [];
  for (const item of raw) {
    const name = Object.keys(item).find((key) => key !== ':@');
    if (name === undefined || name === '#text' || name.startsWith('?') || name === '#comment') continue;
    const attributes = (item[':@'] ?? {}) as Record<string, unknown>;
    const childItems = Array.isArray(item[name]) ? (item[name] as RawNode[]) : [];
    const text = childItems
      .filter((child) => '#text' in child)
      .map((child) => String(child['#text']))
      .join('');
    out.push({
      name,
      attrs: Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, decodeXmlEntities(String(value))])),
      children: convert(childItems),
      text: decodeXmlEntities(text),
    });
  }
  return out;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlEntities(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return safeCodePoint(parseInt(ref.slice(2), 16)) ?? whole;
    if (ref.startsWith('#')) return safeCodePoint(parseInt(ref.slice(1), 10)) ?? whole;
    return NAMED_ENTITIES[ref] ?? whole;
  });
}

function safeCodePoint(code: number): string | undefined {
  return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

/** Children named `name` (case-insensitive: the platform's casing of section names varies). */
export function childrenNamed(node: XmlNode, name: string): XmlNode[] {
  const lower = name.toLowerCase();
  return node.children.filter((child) => child.name.toLowerCase() === lower);
}

export function childNamed(node: XmlNode, name: string): XmlNode | undefined {
  return childrenNamed(node, name)[0];
}

/** Attribute by name, case-insensitive; empty values count as absent. */
export function attr(node: XmlNode, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(node.attrs)) {
    if (key.toLowerCase() === lower) return value === '' ? undefined : value;
  }
  return undefined;
}
