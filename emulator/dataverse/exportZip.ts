/**
 * Regenerates a solution zip from a stored one, the way an export does: solution.xml carries the current
 * version and the requested managed state, a managed export blanks the form labels the platform blanks,
 * and every other entry is copied through as a stream.
 */
import * as fs from 'node:fs';
import * as yazl from 'yazl';
import { decodeXmlText, openZip } from './zipFile';

export interface ExportRequest {
  sourceZip: string;
  outPath: string;
  version: string;
  managed: boolean;
}

function rewriteManifest(xml: string, version: string, managed: boolean): string {
  return xml
    .replace(/<Version>[^<]*<\/Version>/, `<Version>${version}</Version>`)
    .replace(/<Managed>[^<]*<\/Managed>/, `<Managed>${managed ? 1 : 0}</Managed>`);
}

/** Managed exports carry no display labels on form cells (observed on managed/unmanaged twins of one export). */
function managedCustomizations(xml: string): string {
  return xml.replace(/<FormXml>[\s\S]*?<\/FormXml>/g, (forms) => forms.replace(/<label description="[^"]*" languagecode=/g, '<label description="" languagecode='));
}

export async function writeExportZip(request: ExportRequest): Promise<number> {
  const source = await openZip(request.sourceZip);
  try {
    const out = new yazl.ZipFile();
    for (const entry of source.entries) {
      if (entry.name === 'solution.xml' || (entry.name === 'customizations.xml' && request.managed)) {
        const text = decodeXmlText((await source.read(entry.name)) ?? Buffer.alloc(0));
        const rewritten = entry.name === 'solution.xml' ? rewriteManifest(text, request.version, request.managed) : managedCustomizations(text);
        out.addBuffer(Buffer.from(rewritten, 'utf8'), entry.name);
      } else {
        out.addReadStreamLazy(entry.name, (cb) => {
          source.stream(entry.name).then((s) => cb(null, s), (err: unknown) => cb(err, undefined as unknown as NodeJS.ReadableStream));
        });
      }
    }
    out.end();
    await new Promise<void>((resolve, reject) => {
      const file = fs.createWriteStream(request.outPath);
      out.outputStream.on('error', reject);
      file.on('error', reject);
      file.on('finish', () => resolve());
      out.outputStream.pipe(file);
    });
    return (await fs.promises.stat(request.outPath)).size;
  } finally {
    source.close();
  }
}
