/**
 * A solution zip whose customizations.xml is large (24 tables of ≈ 1 MB): readSolutionZip and unpack stream it
 * one component at a time, so what they keep alive follows the largest table, not the document. Runs in a child
 * process (largeCustomizationsRun) with --expose-gc so the figures are live memory, not GC headroom.
 */
import * as assert from 'node:assert/strict';
import { runChildReport } from '../../helpers/child-report';
import type { LargeCustomizationsReport } from './largeCustomizationsRun';

function runChild(tables: number, descriptionBytes: number): Promise<LargeCustomizationsReport> {
  return runChildReport(__dirname, 'largeCustomizationsRun', [String(tables), String(descriptionBytes)], ['--expose-gc']);
}

describe('solution zips with a large customizations.xml', function () {
  this.timeout(180000);

  it('are read and unpacked keeping about one table in memory, not the document', async () => {
    const r = await runChild(24, 1024 * 1024);
    console.log(`      ${(r.customizationsBytes / 1048576).toFixed(0)} MB customizations.xml, largest table ${(r.largestComponentBytes / 1048576).toFixed(1)} MB: ` +
      `live memory peaks at ${(r.readPeak / 1048576).toFixed(1)} MB reading it, ${(r.unpackPeak / 1048576).toFixed(1)} MB unpacking it`);
    assert.equal(r.tablesRead, 24);
    assert.equal(r.tablesUnpacked, 24);
    // Keeping a slice of each table's text (e.g. an attribute value cut from it) would keep the whole document.
    assert.ok(r.readPeak < r.customizationsBytes / 3, `readSolutionZip kept up to ${r.readPeak} bytes alive for a ${r.customizationsBytes}-byte document`);
    assert.ok(r.unpackPeak < r.customizationsBytes / 3, `unpack kept up to ${r.unpackPeak} bytes alive for a ${r.customizationsBytes}-byte document`);
  });
});
