/**
 * `npm run test:corpus -- <corpus folder>` (or DATAVERSE_CORPUS): conformance of the solution library against
 * real artifacts. One line per artifact, then `N passed, N failed`; exits non-zero on any failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpusSections, runArtifact } from '../test/conformance/corpus-checks';

async function main(): Promise<void> {
  const arg = process.argv.slice(2).find((a) => a !== '--');
  const corpus = arg ?? process.env.DATAVERSE_CORPUS;
  if (!corpus) {
    console.log('corpus conformance skipped: no corpus folder given (pass one, or set DATAVERSE_CORPUS)');
    console.log('0 passed, 0 failed');
    return;
  }
  if (!fs.existsSync(corpus) || !fs.statSync(corpus).isDirectory()) {
    console.error(`corpus folder '${corpus}' does not exist`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  let passed = 0;
  let failed = 0;
  for (const section of corpusSections(path.resolve(corpus))) {
    if (section.skipReason) { console.log(`SKIP ${section.name}: ${section.skipReason}`); continue; }
    for (const artifact of section.artifacts) {
      const r = await runArtifact(artifact);
      if (r.ok) passed++; else failed++;
      console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.artifact}: ${r.detail}`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

void main();
