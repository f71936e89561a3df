/** The corpus conformance checks inside `npm test`, when the shared corpus is present (else one printed reason). */
import assert from 'node:assert/strict';
import { corpusDir } from '../helpers/paths';
import { corpusSections } from './corpus-checks';

describe('solution corpus conformance', () => {
  const corpus = corpusDir();
  if (!corpus) {
    it('has no corpus to check (set DATAVERSE_CORPUS or place ../shared/corpus)', () => {
      console.log('      corpus not found: conformance checks not run');
    });
    return;
  }
  for (const section of corpusSections(corpus)) {
    if (section.skipReason) {
      it(`${section.name}: nothing to check`, () => console.log(`      ${section.skipReason}`));
      continue;
    }
    for (const a of section.artifacts) {
      it(a.artifact, async function () {
        this.timeout(180_000);
        const detail = await a.check();
        assert.ok(detail.length > 0);
      });
    }
  }
});
