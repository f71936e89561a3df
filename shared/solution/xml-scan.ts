/**
 * Streaming XML scan for pack: checks a document is well-formed with saxes and records where its elements sit in
 * the text (down to a depth), without building a tree of text nodes. Pack copies components into
 * customizations.xml as slices of the original text, so what we do not understand is kept byte for byte and a
 * component costs little more memory than its file. fast-xml-parser (`./xml`) stays the reader for trees we edit;
 * it has no positions to copy from and its validator allocates many times the file's size.
 */
import { SaxesParser } from 'saxes';
import { UserError } from '../core';
import { decodeXml, refuseDtd, stripBom } from './xml';

export interface ScannedElement {
  name: string;
  /** Attribute name → raw (still escaped) value, in document order. */
  attrs: Array<[string, string]>;
  /** Offset of `<` of the start tag. */
  start: number;
  /** Offset just after the start tag (equal to `end` for a self-closing element). */
  contentStart: number;
  /** Offset of `</` of the end tag (equal to `end` for a self-closing element). */
  contentEnd: number;
  /** Offset just after the element. */
  end: number;
  /** Child elements, recorded down to the scan's depth. */
  children: ScannedElement[];
}

export interface ScannedXml {
  /** The document without its BOM; all offsets refer to it. */
  text: string;
  root: ScannedElement;
}

const POSITION = /^(\d+):(\d+): (.*)$/s;

/**
 * A saxes error as the error the user sees: the file, line and column, and what to do. saxes is strict XML 1.0:
 * it also refuses references to undeclared entities (`&nbsp;`) and characters XML forbids, which Dataverse's
 * import refuses too, so they fail here, naming the file, rather than at import.
 */
export function wellFormednessError(err: Error, what: string): UserError {
  const m = POSITION.exec(err.message);
  const detail = m ? `${m[3].replace(/\.$/, '')} (line ${m[1]}, column ${m[2]})` : err.message;
  const hint = /undefined entity/.test(err.message)
    ? 'XML defines only &lt; &gt; &amp; &quot; &apos;: write other characters as themselves or as a numeric reference such as &#160;.'
    : 'Fix the file (Dataverse refuses such XML at import too), or export and unpack the solution again.';
  return new UserError(`${what} is not well-formed XML: ${detail}.`, hint);
}

/**
 * Scans `text` (a whole document) and records its root and elements down to `depth` levels below it. DTDs and
 * references to undeclared entities are refused. `what` names the file in errors.
 */
export function scanXml(text: string, what: string, depth = 2): ScannedXml {
  const body = stripBom(text);
  refuseDtd(body, what);
  const parser = new SaxesParser();
  // Recorded elements; `undefined` marks an element deeper than `depth` (still checked, not recorded).
  const open: Array<ScannedElement | undefined> = [];
  let root: ScannedElement | undefined;
  let attrs: Array<[string, string]> = [];
  const recording = () => open.length <= depth && (open.length === 0 || open[open.length - 1] !== undefined);

  parser.on('error', (err) => { throw wellFormednessError(err, what); });
  parser.on('doctype', () => refuseDtd('<!DOCTYPE', what));
  parser.on('attribute', (attribute) => {
    if (!recording()) return;
    // The position is just after the closing quote; the raw value has no quote of that kind inside it.
    const end = parser.position - 1;
    const opening = body.lastIndexOf(body[end], end - 1);
    attrs.push([attribute.name, body.slice(opening + 1, end)]);
  });
  parser.on('opentag', (tag) => {
    if (!recording()) { open.push(undefined); attrs = []; return; }
    const contentStart = parser.position;
    const el: ScannedElement = {
      name: tag.name, attrs, start: body.lastIndexOf('<', contentStart - 1), contentStart, contentEnd: contentStart, end: contentStart, children: [],
    };
    attrs = [];
    const parent = open[open.length - 1];
    if (parent) parent.children.push(el); else root = el;
    open.push(el);
  });
  parser.on('closetag', (tag) => {
    const el = open.pop();
    if (!el) return;
    el.end = parser.position;
    el.contentEnd = tag.isSelfClosing ? el.end : body.lastIndexOf('</', el.end - 1);
  });
  parser.write(body).close();
  if (!root) throw new UserError(`${what} is not well-formed XML: it has no root element.`);
  return { text: body, root };
}

/** Case-insensitive child lookup among the recorded children. */
export function scannedChild(el: ScannedElement, name: string): ScannedElement | undefined {
  const lower = name.toLowerCase();
  return el.children.find((c) => c.name.toLowerCase() === lower);
}

export function scannedAttr(el: ScannedElement, name: string): string | undefined {
  const lower = name.toLowerCase();
  const found = el.attrs.find(([k]) => k.toLowerCase() === lower);
  return found ? decodeXml(found[1]) : undefined;
}

/** Decoded, trimmed text of an element that holds text only (CDATA kept literally, comments dropped); '' when absent. */
export function scannedText(doc: ScannedXml, el: ScannedElement | undefined): string {
  if (!el) return '';
  const raw = doc.text.slice(el.contentStart, el.contentEnd);
  if (!raw.includes('<')) return decodeXml(raw).trim();
  let out = '';
  let last = 0;
  for (const m of raw.matchAll(/<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g)) {
    out += decodeXml(raw.slice(last, m.index)) + (m[1] ?? '');
    last = (m.index ?? 0) + m[0].length;
  }
  return (out + decodeXml(raw.slice(last))).trim();
}

/** The element exactly as written. */
export function rawElement(doc: ScannedXml, el: ScannedElement): string {
  return doc.text.slice(el.start, el.end);
}

/** What sits between the element's tags, exactly as written. */
export function rawContent(doc: ScannedXml, el: ScannedElement): string {
  return doc.text.slice(el.contentStart, el.contentEnd);
}
