/**
 * Reads a large XML document (customizations.xml) from a stream one component at a time: the root's children are
 * either taken whole or "descended into", in which case each of their children is handed over whole. Only the
 * element being collected is in memory, as its raw text and then as a `./xml` tree (the same reader the rest of
 * the library uses, so values stay exactly as written). saxes checks the whole document and its positions say
 * where each element starts and ends in the text.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser } from 'saxes';
import { UserError } from '../core';
import { element, parseXml, refuseDtd, XmlElement } from './xml';
import { wellFormednessError } from './xml-scan';

/** Called in document order. */
export interface XmlStreamVisitor {
  /** Whether the children of this root child (attributes only) come one by one, between enter and leave; else it comes whole. */
  descend(el: XmlElement): boolean;
  /** The root's start tag (no children). */
  root(el: XmlElement): Promise<void> | void;
  /** A root child that is descended into starts (attributes only). */
  enter(el: XmlElement): Promise<void> | void;
  /** A complete element: a root child taken whole (`parent` undefined) or a child of a descended one. */
  element(el: XmlElement, parent: XmlElement | undefined): Promise<void> | void;
  /** A descended root child ends. */
  leave(el: XmlElement): Promise<void> | void;
  /** A comment between the root's children. */
  comment?(text: string): Promise<void> | void;
}

interface Collected { raw: string; line: number; column?: number }

type Event = { kind: 'root' | 'enter' | 'leave'; el: XmlElement } | { kind: 'element'; element: Collected; parent?: XmlElement } | { kind: 'comment'; text: string };

/**
 * A copy of an element that shares no memory with the document's text. The strings of a handed-over element are
 * slices of its component's raw text (V8 keeps the whole text alive for any slice of it): copy what you keep.
 */
export function detachXml<T>(value: T): T {
  return structuredClone(value);
}

/** An attribute value kept beyond its chunk: copied, with line breaks normalised as an XML parser does. */
function keptValue(raw: string): string {
  return detachXml(raw.replace(/\r\n?/g, '\n'));
}

/** `(line L, column C)` of an error inside a component, moved to where the component starts in the document. */
function inDocument(err: unknown, at: Collected): unknown {
  if (!(err instanceof UserError)) return err;
  const message = err.message.replace(/\(line (\d+), column (\d+)\)/, (_m, l: string, c: string) => {
    const line = Number(l);
    if (line > 1) return `(line ${at.line + line - 1}, column ${c})`;
    return at.column === undefined ? `(line ${at.line})` : `(line ${at.line}, column ${at.column + Number(c) - 1})`;
  });
  return message === err.message ? err : new UserError(message);
}

export async function streamXml(source: Readable, what: string, visitor: XmlStreamVisitor): Promise<void> {
  const parser = new SaxesParser();
  const decoder = new StringDecoder('utf8');
  // Raw text from `windowStart` on: what the element being collected spans (and nothing before it).
  let window = '';
  let windowStart = 0;
  let depth = 0;
  let descended: XmlElement | undefined;
  /** Offset where the element being collected starts, or -1. */
  let collectStart = -1;
  let collectDepth = 0;
  let collectLine = 0;
  let collectColumn: number | undefined;
  let attrs: Array<[string, string]> = [];
  let started = false;
  const events: Event[] = [];

  const raw = (from: number, to: number) => window.slice(from - windowStart, to - windowStart);
  const forget = (upTo: number) => { window = window.slice(upTo - windowStart); windowStart = upTo; };

  parser.on('error', (err) => { throw wellFormednessError(err, what); });
  parser.on('doctype', () => refuseDtd('<!DOCTYPE', what));
  parser.on('attribute', (attribute) => {
    if (depth > 1 || collectStart >= 0) return;
    const end = parser.position - 1;
    const local = end - windowStart;
    const opening = window.lastIndexOf(window[local], local - 1);
    attrs.push([attribute.name, keptValue(window.slice(opening + 1, local))]);
  });
  parser.on('opentag', (tag) => {
    depth++;
    if (collectStart >= 0) return;
    const el = element(tag.name, [], attrs);
    attrs = [];
    if (depth === 1) { events.push({ kind: 'root', el }); forget(parser.position); return; }
    if (depth === 2 && !descended && visitor.descend(el)) {
      descended = el;
      events.push({ kind: 'enter', el });
      forget(parser.position);
      return;
    }
    collectStart = windowStart + window.lastIndexOf('<', parser.position - 1 - windowStart);
    collectDepth = depth;
    // saxes is at the end of the start tag: step back over it to where the element starts.
    const startTag = raw(collectStart, parser.position);
    const breaks = startTag.split('\n').length - 1;
    collectLine = parser.line - breaks;
    collectColumn = breaks === 0 ? parser.column - startTag.length + 1 : undefined;
  });
  parser.on('comment', (text) => {
    if (depth === 1 && collectStart < 0) events.push({ kind: 'comment', text });
  });
  parser.on('closetag', () => {
    const end = parser.position;
    if (collectStart >= 0 && depth === collectDepth) {
      events.push({ kind: 'element', element: { raw: raw(collectStart, end), line: collectLine, column: collectColumn }, parent: descended });
      collectStart = -1;
      forget(end);
    } else if (depth === 2 && descended) {
      events.push({ kind: 'leave', el: descended });
      descended = undefined;
      forget(end);
    } else if (collectStart < 0) {
      forget(end);
    }
    depth--;
  });

  // Elements are parsed only after saxes has checked the chunk that ends them, so its errors (with document line
  // and column) come first.
  const drain = async () => {
    for (const e of events.splice(0)) {
      if (e.kind === 'element') await visitor.element(parseCollected(e.element), e.parent);
      else if (e.kind === 'comment') await visitor.comment?.(e.text);
      else await visitor[e.kind](e.el);
    }
  };
  const parseCollected = (at: Collected): XmlElement => {
    try {
      return parseXml(at.raw, what);
    } catch (err) {
      throw inDocument(err, at);
    }
  };
  const feed = async (text: string) => {
    if (!started) {
      if (text.length === 0) return;
      started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A DTD can only come before the root; checking each chunk as it arrives is enough to refuse it.
    if (/<!DOCTYPE|<!ENTITY/i.test(text)) refuseDtd(text, what);
    window += text;
    parser.write(text);
    await drain();
  };
  for await (const chunk of source) await feed(decoder.write(chunk as Buffer));
  await feed(decoder.end());
  parser.close();
  await drain();
}
