/**
 * Streaming reader for action request bodies. The JSON object is parsed as it arrives; values of the
 * Edm.Binary parameters (CustomizationFile) are base64-decoded straight into a temp file, so a request of
 * any size costs a few chunks of memory. Parameter names are checked as soon as they are read: an unknown
 * or mis-cased name turns the rest of the body into a discarded stream and the request into a 400.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { IncomingMessage } from 'node:http';
import { ODataFailure } from './errors';

export type ParamType = 'Boolean' | 'String' | 'Guid' | 'Binary' | 'ComponentParameters' | 'SolutionParameters' | 'Object';

export interface ParamSpec {
  type: ParamType;
  required: boolean;
}

export interface ActionSpec {
  name: string;
  params: Record<string, ParamSpec>;
}

export interface UploadedBinary {
  path: string;
  size: number;
}

export interface ActionBody {
  values: Record<string, unknown>;
  binaries: Record<string, UploadedBinary>;
}

const MAX_JSON_CHARS = 16 * 1024 * 1024;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^[A-Za-z0-9+/=]*$/;
const EDM: Record<ParamType, string> = {
  Boolean: 'Edm.Boolean', String: 'Edm.String', Guid: 'Edm.Guid', Binary: 'Edm.Binary',
  ComponentParameters: 'Collection(Microsoft.Dynamics.CRM.crmbaseentity)', SolutionParameters: 'Microsoft.Dynamics.CRM.SolutionParameters',
  Object: 'Microsoft.Dynamics.CRM.ComplexType',
};

export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value);
}

function badRequest(message: string): ODataFailure {
  return new ODataFailure(400, '0x80060888', message);
}

function typeError(type: ParamType): ODataFailure {
  return badRequest(`Cannot convert a primitive value to the expected type '${EDM[type]}'. See the inner exception for more details.`);
}

type State = 'start' | 'keyOrEnd' | 'key' | 'colon' | 'valueStart' | 'value' | 'binary' | 'afterValue' | 'done' | 'skip';

class StreamingBodyParser {
  private state: State = 'start';
  private key = '';
  private raw = '';
  private rawTotal = 0;
  private depth = 0;
  private inString = false;
  private escape = false;
  private unicode?: string;
  private base64Pending = '';
  private binaryOut?: fs.WriteStream;
  private binarySize = 0;
  private firstKey = true;
  private readonly closing: Promise<void>[] = [];
  readonly values: Record<string, unknown> = {};
  readonly binaries: Record<string, UploadedBinary> = {};
  readonly seen = new Set<string>();
  failure?: ODataFailure;

  constructor(private readonly spec: ActionSpec, private readonly tempDir: string) {}

  /** A pending write that the caller must await before feeding more (back-pressure), if any. */
  feed(chunk: string): Promise<void> | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'skip') return undefined;
      if (this.state === 'binary') {
        i = this.feedBinary(chunk, i);
        continue;
      }
      this.step(chunk[i]);
      i++;
    }
    if (this.binaryOut && this.binaryOut.writableNeedDrain) {
      const out = this.binaryOut;
      return new Promise((resolve) => out.once('drain', () => resolve()));
    }
    return undefined;
  }

  async finish(): Promise<void> {
    await this.closeBinary();
    await Promise.all(this.closing);
    if (this.failure) throw this.failure;
    if (this.state === 'start') return; // an empty body is an action without parameters
    if (this.state !== 'done') throw badRequest('The request payload is not valid JSON: the body ended before the closing brace of the object.');
  }

  async abort(): Promise<void> {
    await this.closeBinary();
    await Promise.all(this.closing);
    for (const b of Object.values(this.binaries)) await fs.promises.rm(b.path, { force: true });
  }

  private fail(error: ODataFailure): void {
    this.failure ??= error;
    this.state = 'skip';
  }

  private step(c: string): void {
    const ws = c === ' ' || c === '\n' || c === '\r' || c === '\t';
    switch (this.state) {
      case 'start':
        if (ws || c === '\ufeff') return;
        if (c !== '{') return this.fail(badRequest('The request payload must be a JSON object whose keys are the parameters of the action.'));
        this.state = 'keyOrEnd';
        return;
      case 'keyOrEnd':
        if (ws) return;
        if (c === '}' && this.firstKey) { this.state = 'done'; return; }
        if (c !== '"') return this.fail(badRequest(`The request payload is not valid JSON: unexpected '${c}' where a property name was expected.`));
        this.raw = '';
        this.escape = false;
        this.state = 'key';
        return;
      case 'key':
        if (this.escape) { this.raw += c; this.escape = false; return; }
        if (c === '\\') { this.raw += c; this.escape = true; return; }
        if (c !== '"') { this.raw += c; return; }
        this.key = JSON.parse(`"${this.raw}"`) as string;
        this.firstKey = false;
        this.state = 'colon';
        return this.checkKey();
      case 'colon':
        if (ws) return;
        if (c !== ':') return this.fail(badRequest(`The request payload is not valid JSON: expected ':' after '${this.key}'.`));
        this.state = 'valueStart';
        return;
      case 'valueStart':
        if (ws) return;
        if (c === '"' && this.spec.params[this.key]?.type === 'Binary') return this.startBinary();
        this.raw = '';
        this.depth = 0;
        this.inString = false;
        this.escape = false;
        this.state = 'value';
        return this.step(c);
      case 'value':
        return this.stepValue(c);
      case 'afterValue':
        if (ws) return;
        if (c === ',') { this.state = 'keyOrEnd'; this.firstKey = false; return; }
        if (c === '}') { this.state = 'done'; return; }
        return this.fail(badRequest(`The request payload is not valid JSON: unexpected '${c}' after the value of '${this.key}'.`));
      case 'done':
        if (ws) return;
        return this.fail(badRequest('The request payload is not valid JSON: unexpected content after the closing brace.'));
      default:
        return;
    }
  }

  private checkKey(): void {
    const spec = this.spec.params[this.key];
    if (!spec) {
      const proper = Object.keys(this.spec.params).find((k) => k.toLowerCase() === this.key.toLowerCase());
      const hint = proper ? ` Parameter names are case-sensitive; did you mean '${proper}'?` : '';
      return this.fail(badRequest(`The parameter '${this.key}' in the request payload is not a valid parameter for the operation '${this.spec.name}'.${hint}`));
    }
    if (this.seen.has(this.key)) {
      return this.fail(badRequest(`The parameter '${this.key}' appears more than once in the request payload.`));
    }
    this.seen.add(this.key);
  }

  private stepValue(c: string): void {
    if (this.inString) {
      this.raw += c;
      if (this.escape) this.escape = false;
      else if (c === '\\') this.escape = true;
      else if (c === '"') this.inString = false;
    } else if (c === '"') {
      this.inString = true;
      this.raw += c;
    } else if (c === '{' || c === '[') {
      this.depth++;
      this.raw += c;
    } else if ((c === '}' || c === ']') && this.depth > 0) {
      this.depth--;
      this.raw += c;
    } else if (this.depth === 0 && (c === ',' || c === '}')) {
      this.completeValue();
      if (this.state === 'afterValue') this.step(c);
      return;
    } else {
      this.raw += c;
    }
    this.rawTotal++;
    if (this.rawTotal > MAX_JSON_CHARS) {
      this.fail(new ODataFailure(413, '0x80060888', `The non-binary parameters of the request payload exceed ${MAX_JSON_CHARS} characters.`));
    }
  }

  private completeValue(): void {
    let value: unknown;
    try {
      value = JSON.parse(this.raw);
    } catch {
      return this.fail(badRequest(`The request payload is not valid JSON: the value of '${this.key}' cannot be read.`));
    }
    const spec = this.spec.params[this.key];
    const error = checkValue(spec.type, value);
    if (error) return this.fail(error);
    this.values[this.key] = value;
    this.state = 'afterValue';
  }

  private startBinary(): void {
    const filePath = path.join(this.tempDir, `upload-${randomUUID()}.bin`);
    this.binaryOut = fs.createWriteStream(filePath);
    this.binaryOut.on('error', (err) => this.fail(new ODataFailure(500, '0x80040216', `The emulator could not store the uploaded file: ${err.message}`)));
    this.binaries[this.key] = { path: filePath, size: 0 };
    this.binarySize = 0;
    this.base64Pending = '';
    this.escape = false;
    this.state = 'binary';
  }

  /** Consumes base64 text from `chunk` starting at `i`; returns the index after what it consumed. */
  private feedBinary(chunk: string, i: number): number {
    if (this.unicode !== undefined) {
      // \uXXXX (System.Text.Json writes '+' as \u002B); the four digits may arrive in separate chunks
      this.unicode += chunk[i];
      if (this.unicode.length === 4) {
        const ch = /^[0-9a-f]{4}$/i.test(this.unicode) ? String.fromCharCode(Number.parseInt(this.unicode, 16)) : '!';
        this.unicode = undefined;
        this.appendBase64(ch);
      }
      return i + 1;
    }
    if (this.escape) {
      this.escape = false;
      const c = chunk[i];
      if (c === '/') this.appendBase64('/');
      else if (c === 'u') this.unicode = '';
      else if (!'nrt'.includes(c)) this.fail(typeError('Binary'));
      return i + 1;
    }
    const quote = chunk.indexOf('"', i);
    const backslash = chunk.indexOf('\\', i);
    const stop = [quote, backslash].filter((x) => x >= 0).reduce((a, b) => Math.min(a, b), chunk.length);
    if (stop > i) this.appendBase64(chunk.slice(i, stop));
    if (stop === chunk.length) return stop;
    if (stop === backslash) { this.escape = true; return stop + 1; }
    this.endBinary();
    return stop + 1;
  }

  private appendBase64(segment: string): void {
    if (!BASE64.test(segment)) return this.fail(typeError('Binary'));
    const all = this.base64Pending + segment;
    const usable = all.length - (all.length % 4);
    if (usable > 0) this.writeBinary(Buffer.from(all.slice(0, usable), 'base64'));
    this.base64Pending = all.slice(usable);
  }

  private writeBinary(bytes: Buffer): void {
    this.binarySize += bytes.length;
    this.binaryOut?.write(bytes);
  }

  private endBinary(): void {
    if (this.base64Pending.length > 0) {
      if (this.base64Pending.length === 1) return this.fail(typeError('Binary'));
      this.writeBinary(Buffer.from(this.base64Pending, 'base64'));
      this.base64Pending = '';
    }
    this.binaries[this.key].size = this.binarySize;
    this.closing.push(this.closeBinary());
    this.state = 'afterValue';
  }

  private closeBinary(): Promise<void> {
    const out = this.binaryOut;
    this.binaryOut = undefined;
    if (!out) return Promise.resolve();
    return new Promise((resolve) => {
      if (out.closed) { resolve(); return; }
      out.end(() => resolve());
    });
  }
}

function checkValue(type: ParamType, value: unknown): ODataFailure | undefined {
  if (value === null) return undefined;
  switch (type) {
    case 'Boolean': return typeof value === 'boolean' ? undefined : typeError(type);
    case 'String': return typeof value === 'string' ? undefined : typeError(type);
    case 'Guid': return isGuid(value) ? undefined : typeError(type);
    case 'Binary': return typeError(type);
    case 'ComponentParameters': {
      if (!Array.isArray(value)) return badRequest("The parameter 'ComponentParameters' must be a JSON array of entity objects, each with an '@odata.type'.");
      for (const item of value) {
        const t = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['@odata.type'] : undefined;
        if (typeof t !== 'string') {
          return badRequest("An entity in 'ComponentParameters' has no '@odata.type' annotation; a type annotation is required for entities in a collection of Microsoft.Dynamics.CRM.crmbaseentity.");
        }
      }
      return undefined;
    }
    case 'SolutionParameters': {
      if (typeof value !== 'object' || Array.isArray(value)) return typeError(type);
      const allowed = ['StageSolutionUploadId', 'SolutionComponentOptions', 'DeployMissingPackagesBeforeSolutionImport'];
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (!allowed.includes(k)) {
          return badRequest(`The property '${k}' does not exist on type 'Microsoft.Dynamics.CRM.SolutionParameters'. Make sure to only use property names that are defined by the type.`);
        }
        if (k === 'StageSolutionUploadId' && !isGuid(v)) return typeError('Guid');
      }
      return undefined;
    }
    case 'Object':
      return typeof value === 'object' ? undefined : typeError(type);
  }
}

/** Reads and validates the body of action `spec`; missing required parameters are reported after the whole body. */
export async function readActionBody(req: IncomingMessage, spec: ActionSpec, tempDir: string): Promise<ActionBody> {
  const parser = new StreamingBodyParser(spec, tempDir);
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of req) {
      const pending = parser.feed(decoder.write(chunk as Buffer));
      if (pending) await pending;
    }
    const tail = decoder.end();
    if (tail) parser.feed(tail);
    await parser.finish();
  } catch (err) {
    await parser.abort();
    throw err;
  }
  for (const [name, p] of Object.entries(spec.params)) {
    if (p.required && (parser.values[name] ?? parser.binaries[name]) === undefined) {
      await parser.abort();
      throw badRequest(`The parameter '${name}' is required by the operation '${spec.name}' and is missing from the request payload.`);
    }
  }
  return { values: parser.values, binaries: parser.binaries };
}
