/**
 * Minimal XML tree for solution files, parsed with fast-xml-parser with entity expansion off and DTDs refused.
 * Text and attribute values are kept exactly as written (still escaped), so what we do not understand is
 * written back unchanged; use `decodeXml` to read a value and `encodeXmlText` to write one.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { UserError } from '../core';

export interface XmlElement {
  name: string;
  /** Attribute name → raw (escaped) value, in document order. */
  attrs: Array<[string, string]>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | { text: string } | { cdata: string } | { comment: string };

export function isElement(node: XmlNode): node is XmlElement {
  return (node as XmlElement).name !== undefined;
}

/**
 * Names fast-xml-parser refuses (`constructor`, `prototype`) or silently renames (`toString` → `__toString`, …)
 * because they are Object.prototype members. Real files use some (PCF ControlManifest.xml has `constructor="…"`),
 * so they are handed to the parser under an escaped key no XML name can take ('#' is not a name character) and
 * restored in `convert`. `__proto__` is not escaped and stays refused by the parser.
 */
const PROTOTYPE_NAMES = new Set(['constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf',
  '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);
const ESCAPE = '#name:';

function escapeName(name: string): string {
  return PROTOTYPE_NAMES.has(name) ? `${ESCAPE}${name}` : name;
}

function unescapeName(key: string): string {
  return key.startsWith(ESCAPE) ? key.slice(ESCAPE.length) : key;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
  transformTagName: escapeName,
  transformAttributeName: escapeName,
});

const BOM = '\uFEFF';

export function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

/** Throws when the document has a DTD: solution files never do, and refusing it rules out entity expansion and external entities. */
export function refuseDtd(body: string, what: string): void {
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) {
    throw new UserError(`${what} contains a DTD (<!DOCTYPE or <!ENTITY>); solution files never do and DTDs are refused for safety (entity expansion, external entities).`,
      'Remove the DTD or check that the file is really a Dataverse solution file.');
  }
}

/** Parses an XML document and returns its root element. `what` names the file in errors. */
export function parseXml(text: string, what: string): XmlElement {
  const body = stripBom(text);
  refuseDtd(body, what);
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new UserError(`${what} is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col}).`);
  }
  let raw: RawNode[];
  try {
    raw = parser.parse(body) as RawNode[];
  } catch (err) {
    // fast-xml-parser refuses the name __proto__ and nesting deeper than 100 levels.
    throw new UserError(`${what} was refused: ${err instanceof Error ? err.message : String(err)}.`, 'Check that the file is really a Dataverse solution file.');
  }
  const roots = convert(raw).filter(isElement);
  if (roots.length !== 1) throw new UserError(`${what} must have exactly one root element, found ${roots.length}.`);
  return roots[0];
}

type RawNode = Record<string, unknown>;

function convert(raw: RawNode[]): XmlNode[] {
  const out: XmlNode[] = [];
  for (const node of raw) {
    const key = Object.keys(node).find((k) => k !== ':@');
    if (key === undefined || key.startsWith('?')) continue;
    const value = node[key];
    if (key === '#text') out.push({ text: String(value) });
    else if (key === '#cdata') out.push({ cdata: innerText(value as RawNode[]) });
    else if (key === '#comment') out.push({ comment: innerText(value as RawNode[]) });
    else {
      const attrs = Object.entries((node[':@'] as Record<string, string> | undefined) ?? {}).map(([k, v]) => [unescapeName(k), String(v)] as [string, string]);
      out.push({ name: unescapeName(key), attrs, children: convert(value as RawNode[]) });
    }
  }
  return out;
}

function innerText(raw: RawNode[]): string {
  return raw.map((n) => String(n['#text'] ?? '')).join('');
}

/** Decodes the predefined entities and character references of a raw text or attribute value. */
export function decodeXml(raw: string): string {
  return raw.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    switch (e) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default: return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

export function encodeXmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes a value for a double-quoted attribute (tabs and line breaks as references, so they survive parsing). */
export function encodeXmlAttr(value: string): string {
  return encodeXmlText(value).replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
}

// ---------- navigation helpers ----------

export function childElements(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => isElement(c) && (name === undefined || c.name === name));
}

export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c): c is XmlElement => isElement(c) && c.name === name);
}

/** Case-insensitive child lookup (solution XML mixes casing across versions). */
export function childI(el: XmlElement, name: string): XmlElement | undefined {
  const lower = name.toLowerCase();
  return el.children.find((c): c is XmlElement => isElement(c) && c.name.toLowerCase() === lower);
}

/** Decoded text content of an element (text and CDATA children). */
export function textOf(el: XmlElement | undefined): string {
  if (!el) return '';
  return el.children.map((c) => ('text' in c ? decodeXml(c.text) : 'cdata' in c ? c.cdata : '')).join('').trim();
}

export function childText(el: XmlElement, name: string): string | undefined {
  const c = childI(el, name);
  return c ? textOf(c) : undefined;
}

export function attr(el: XmlElement, name: string): string | undefined {
  const lower = name.toLowerCase();
  const found = el.attrs.find(([k]) => k.toLowerCase() === lower);
  return found ? decodeXml(found[1]) : undefined;
}

export function setText(el: XmlElement, value: string): void {
  el.children = [{ text: encodeXmlText(value) }];
}

export function element(name: string, children: XmlNode[] = [], attrs: Array<[string, string]> = []): XmlElement {
  return { name, attrs, children };
}

export function cloneElement(el: XmlElement): XmlElement {
  return {
    name: el.name,
    attrs: el.attrs.map(([k, v]) => [k, v] as [string, string]),
    children: el.children.map((c) => (isElement(c) ? cloneElement(c) : { ...c })),
  };
}

// ---------- serialisation ----------

export interface WriteXmlOptions {
  /** Prefix with a UTF-8 BOM and `<?xml version="1.0" encoding="utf-8"?>` (SolutionPackager style). */
  declaration: boolean;
  /** Line ending for the indentation; solution files use CRLF on Windows but content is compared semantically. */
  eol?: string;
}

/** Serialises with two-space indentation; elements with text or mixed content are written inline, unchanged. */
export function writeXml(root: XmlElement, options: WriteXmlOptions): string {
  const eol = options.eol ?? '\n';
  const parts: string[] = [];
  if (options.declaration) parts.push(`${BOM}<?xml version="1.0" encoding="utf-8"?>${eol}`);
  writeElement(root, 0, parts, eol);
  const out = parts.join('');
  // No line break after the root element, like SolutionPackager.
  return out.endsWith(eol) ? out.slice(0, -eol.length) : out;
}

/** One element serialised at an indentation depth (used to stream large documents piece by piece). */
export function serializeElement(el: XmlElement, depth: number, eol = '\n'): string {
  const parts: string[] = [];
  writeElement(el, depth, parts, eol);
  return parts.join('');
}

export function openTag(el: Pick<XmlElement, 'name' | 'attrs'>): string {
  const attrs = el.attrs.map(([k, v]) => ` ${k}="${v.replace(/"/g, '&quot;')}"`).join('');
  return `<${el.name}${attrs}`;
}

function writeInline(node: XmlNode, parts: string[]): void {
  if ('text' in node) parts.push(node.text);
  else if ('cdata' in node) parts.push(`<![CDATA[${node.cdata}]]>`);
  else if ('comment' in node) parts.push(`<!--${node.comment}-->`);
  else if (node.children.length === 0) parts.push(`${openTag(node)} />`);
  else {
    parts.push(`${openTag(node)}>`);
    for (const c of node.children) writeInline(c, parts);
    parts.push(`</${node.name}>`);
  }
}

function isBlank(node: XmlNode): boolean {
  return 'text' in node && node.text.trim() === '';
}

function writeElement(el: XmlElement, depth: number, parts: string[], eol: string): void {
  const indent = '  '.repeat(depth);
  const content = el.children.filter((c) => !isBlank(c));
  const structural = content.every((c) => isElement(c) || 'comment' in c);
  if (content.length === 0 || !structural) {
    parts.push(indent);
    // Keep text exactly (including significant whitespace) when the element has real text content.
    writeInline(content.length === 0 ? { ...el, children: [] } : el, parts);
    parts.push(eol);
    return;
  }
  parts.push(`${indent}${openTag(el)}>${eol}`);
  for (const c of content) {
    if (isElement(c)) writeElement(c, depth + 1, parts, eol);
    else { parts.push('  '.repeat(depth + 1)); writeInline(c, parts); parts.push(eol); }
  }
  parts.push(`${indent}</${el.name}>${eol}`);
}
