/** Reads the first part of a multipart/form-data body (the checker takes the file from it, whatever its name). */

export interface UploadedPart {
  /** filename= of the part, else its name=, else undefined. */
  fileName?: string;
  content: Buffer;
}

export class MultipartError extends Error {}

export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType.trim())) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

export function firstPart(body: Buffer, boundary: string): UploadedPart {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const start = body.indexOf(delimiter);
  if (start < 0) throw new MultipartError(`The body has no part delimited by the boundary '${boundary}'.`);
  const headersStart = skipLineBreak(body, start + delimiter.length);
  const headersEnd = body.indexOf('\r\n\r\n', headersStart, 'latin1');
  if (headersEnd < 0) throw new MultipartError('The first part has no end of headers (blank line).');
  const headers = body.subarray(headersStart, headersEnd).toString('latin1');
  const contentStart = headersEnd + 4;
  const end = body.indexOf(Buffer.concat([Buffer.from('\r\n', 'latin1'), delimiter]), contentStart);
  if (end < 0) throw new MultipartError('The first part is not closed by the boundary.');
  const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? '';
  return { fileName: dispositionFileName(disposition), content: body.subarray(contentStart, end) };
}

/** filename= (or name=) of a Content-Disposition value. */
export function dispositionFileName(disposition: string | undefined): string | undefined {
  if (!disposition) return undefined;
  const param = (name: string): string | undefined => {
    const match = new RegExp(`;\\s*${name}=(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(disposition);
    const value = match?.[1] ?? match?.[2];
    return value ? value : undefined;
  };
  return param('filename') ?? param('name');
}

function skipLineBreak(body: Buffer, at: number): number {
  if (body[at] === 0x0d && body[at + 1] === 0x0a) return at + 2;
  if (body[at] === 0x0a) return at + 1;
  return at;
}
