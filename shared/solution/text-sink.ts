import * as fs from 'node:fs';

/** Where merged XML goes, piece by piece. */
export interface TextSink {
  write(text: string): void;
}

/**
 * Writes UTF-8 text straight to a file descriptor. Synchronous on purpose: each piece is encoded and written
 * at once, so no chunk waits in a stream buffer and pack's memory stays the size of one component.
 */
export class FileSink implements TextSink {
  private constructor(private fd: number | undefined, readonly file: string) {}

  static create(file: string): FileSink {
    return new FileSink(fs.openSync(file, 'w'), file);
  }

  write(text: string): void {
    if (this.fd === undefined) throw new Error(`'${this.file}' is already closed.`);
    const written = fs.writeSync(this.fd, text, null, 'utf8');
    const expected = Buffer.byteLength(text, 'utf8');
    if (written === expected) return;
    // A short write (rare, e.g. a pipe or a nearly full disk): finish it from the bytes not yet written.
    const rest = Buffer.from(text, 'utf8');
    for (let done = written; done < expected;) done += fs.writeSync(this.fd, rest, done, expected - done);
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    fs.closeSync(fd);
  }
}

/** Collects the pieces in memory (for reading a folder's contents, not for packing). */
export class StringSink implements TextSink {
  private readonly parts: string[] = [];

  write(text: string): void {
    this.parts.push(text);
  }

  toString(): string {
    return this.parts.join('');
  }
}
