import assert from 'node:assert/strict';
import { createRecordingReporter } from '../../../shared/operations/reporter';

describe('operations recording reporter', () => {
  it('records log lines, groups, progress, outputs and summaries in order', async () => {
    const controller = new AbortController();
    const r = createRecordingReporter(controller.signal);
    await r.group('Phase', async () => {
      r.info('one');
      r.debug('two');
      r.warn('three');
    });
    r.progress(50, 'half');
    r.setOutput('a', '1');
    r.addSummary('Title', 'body');
    assert.deepEqual(r.lines, ['[group] Phase', 'one', 'debug: two', 'warning: three', '[endgroup] Phase']);
    assert.deepEqual(r.progressUpdates, [{ percent: 50, text: 'half' }]);
    assert.deepEqual(r.outputs, { a: '1' });
    assert.deepEqual(r.summaries, [{ title: 'Title', markdown: 'body' }]);
    controller.abort();
    assert.ok(r.signal.aborted);
  });
});
