/**
 * Solution files travel inside JSON as base64 strings (Edm.Binary). These streams keep memory flat whatever
 * the file size: a request body `{...fields, "<property>": "<base64 of file>"}` encoded from disk as it is
 * sent, and an extractor that finds a top-level base64 string property in a JSON response and decodes it as
 * it arrives.
 */
import * as fs from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';

/** Encodes bytes to base64 text, carrying 0–2 bytes between chunks so the output has no inner padding. */
export function base64Encoder(): Transform {
  let carry: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const all = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const usable = all.length - (all.length % 3);
      carry = all.subarray(usable);
      done(null, usable > 0 ? Buffer.from(all.subarray(0, usable).toString('base64'), 'latin1') : undefined);
    },
    flush(done) {
      done(null, carry.length > 0 ? Buffer.from(carry.toString('base64'), 'latin1') : undefined);
    },
  });
}

export interface Base64JsonBody {
  /** A fresh stream per call, so the transport can send the body again (retryable). */
  body: () => Readable;
  /** Exact byte length of the body. */
  length: number;
  headers: Record<string, string>;
}

/**
 * `{...fields, "<property>": "<base64 of filePath>"}` as a streamed request body. The file size is taken now;
 * a file that changes size before a (re)send makes that attempt fail rather than send a corrupt body.
 */
export async function base64JsonFileBody(fields: Record<string, unknown>, property: string, filePath: string): Promise<Base64JsonBody> {
  const size = (await fs.promises.stat(filePath)).size;
  const head = JSON.stringify(fields);
  const prefix = Buffer.from(`${head.slice(0, -1)}${head === '{}' ? '' : ','}${JSON.stringify(property)}:"`, 'utf8');
  const suffix = Buffer.from('"}', 'utf8');
  const length = prefix.length + Math.ceil(size / 3) * 4 + suffix.length;
  const body = (): Readable => Readable.from(bodyParts(prefix, filePath, size, suffix), { objectMode: false });
  return { body, length, headers: { 'Content-Type': 'application/json', 'Content-Length': String(length) } };
}

async function* bodyParts(prefix: Buffer, filePath: string, size: number, suffix: Buffer): AsyncGenerator<Buffer> {
  yield prefix;
  let read = 0;
  const encoder = base64Encoder();
  const file = fs.createReadStream(filePath, { highWaterMark: 3 * 64 * 1024 });
  file.on('data', (chunk) => { read += chunk.length; });
  const encoded = file.pipe(encoder);
  file.on('error', (err) => encoded.destroy(err));
  for await (const chunk of encoded) yield chunk as Buffer;
  if (read !== size) throw new Error(`${filePath} changed size while it was being sent (${size} bytes expected, ${read} read).`);
  yield suffix;
}

export class Base64ExtractError extends Error {}

/** States of the JSON scanner (only the top-level object's keys and the target value matter). */
type Scan = 'structure' | 'string' | 'string-escape' | 'target' | 'target-escape' | 'target-unicode' | 'done';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_KEY_BYTES = 1024;
const NOT_BASE64 = /[^A-Za-z0-9+/=]/;
const JSON_WHITESPACE = /[\r\n\t ]/g;

/**
 * Transform from a JSON document (bytes) to the decoded bytes of the base64 string value of one top-level
 * property. JSON escapes in the value (`\/`, `\u002B`) and line breaks are accepted; anything that is not base64
 * fails the stream, and so does an end of input before the property's string ended (or without the property).
 */
export class Base64PropertyExtractor extends Transform {
  private state: Scan = 'structure';
  private depth = 0;
  private expectKey = false;
  private keyBytes: number[] | undefined;
  private lastKey: string | undefined;
  private pending = '';
  private unicode = '';
  private found = false;
  /** Decoded bytes written so far. */
  bytes = 0;

  constructor(private readonly property: string) {
    super();
  }

  /** The property's value has begun. */
  get started(): boolean {
    return this.found;
  }

  /** The property's value has ended. */
  get complete(): boolean {
    return this.state === 'done';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.scan(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.state === 'done') {
      done();
      return;
    }
    done(new Base64ExtractError(this.found
      ? `The response ended in the middle of "${this.property}" (${this.bytes} bytes decoded): the download was cut off.`
      : `The response has no "${this.property}" property.`));
  }

  private scan(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      const byte = chunk[i];
      switch (this.state) {
        case 'done':
          return;
        case 'structure':
          this.structure(byte);
          i++;
          break;
        case 'string':
          if (byte === BACKSLASH) this.state = 'string-escape';
          else if (byte === QUOTE) this.endString();
          else if (this.keyBytes && this.keyBytes.length < MAX_KEY_BYTES) this.keyBytes.push(byte);
          i++;
          break;
        case 'string-escape':
          // Escapes never occur in the property names we look for; the character is kept literally.
          if (this.keyBytes && this.keyBytes.length < MAX_KEY_BYTES) this.keyBytes.push(byte);
          this.state = 'string';
          i++;
          break;
        case 'target': {
          // The bulk of the document: jump to the next quote or backslash instead of walking byte by byte.
          const stop = nextSpecial(chunk, i);
          if (stop > i) this.addBase64(chunk.toString('latin1', i, stop));
          if (stop < chunk.length) {
            if (chunk[stop] === QUOTE) this.finishTarget();
            else this.state = 'target-escape';
          }
          i = stop + 1;
          break;
        }
        case 'target-escape':
          if (byte === 0x75 /* u */) {
            this.unicode = '';
            this.state = 'target-unicode';
          } else {
            this.addBase64(byte === 0x2f ? '/' : byte === 0x6e ? '\n' : byte === 0x72 ? '\r' : String.fromCharCode(byte));
            this.state = 'target';
          }
          i++;
          break;
        case 'target-unicode':
          this.unicode += String.fromCharCode(byte);
          if (this.unicode.length === 4) {
            if (!/^[0-9a-fA-F]{4}$/.test(this.unicode)) throw new Base64ExtractError(`"${this.property}" has a bad \\u escape.`);
            this.addBase64(String.fromCharCode(parseInt(this.unicode, 16)));
            this.state = 'target';
          }
          i++;
          break;
      }
    }
  }

  private structure(byte: number): void {
    switch (byte) {
      case 0x7b: // {
        this.depth++;
        if (this.depth === 1) this.expectKey = true;
        break;
      case 0x5b: // [
        this.depth++;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        this.depth--;
        break;
      case 0x3a: // :
        if (this.depth === 1) this.expectKey = false;
        break;
      case 0x2c: // ,
        if (this.depth === 1) this.expectKey = true;
        break;
      case QUOTE:
        if (this.depth === 1 && !this.expectKey && !this.found && this.lastKey === this.property) {
          this.found = true;
          this.state = 'target';
        } else {
          this.keyBytes = this.depth === 1 && this.expectKey ? [] : undefined;
          this.state = 'string';
        }
        break;
      default:
        break;
    }
  }

  private endString(): void {
    if (this.keyBytes) this.lastKey = Buffer.from(this.keyBytes).toString('utf8');
    this.keyBytes = undefined;
    this.state = 'structure';
  }

  private addBase64(text: string): void {
    const clean = text.replace(JSON_WHITESPACE, '');
    if (NOT_BASE64.test(clean)) {
      const bad = NOT_BASE64.exec(clean)?.[0] ?? '?';
      throw new Base64ExtractError(`"${this.property}" is not base64 (found character code ${bad.charCodeAt(0)}).`);
    }
    const all = this.pending + clean;
    const usable = all.length - (all.length % 4);
    this.pending = all.slice(usable);
    if (usable > 0) this.emit64(all.slice(0, usable));
  }

  private finishTarget(): void {
    if (this.pending.length > 0) {
      if (this.pending.length === 1) throw new Base64ExtractError(`"${this.property}" has a truncated base64 ending.`);
      this.emit64(this.pending);
      this.pending = '';
    }
    this.state = 'done';
  }

  private emit64(text: string): void {
    const decoded = Buffer.from(text, 'base64');
    this.bytes += decoded.length;
    this.push(decoded);
  }
}

function nextSpecial(chunk: Buffer, from: number): number {
  const quote = chunk.indexOf(QUOTE, from);
  const backslash = chunk.indexOf(BACKSLASH, from);
  if (quote < 0) return backslash < 0 ? chunk.length : backslash;
  return backslash < 0 ? quote : Math.min(quote, backslash);
}
