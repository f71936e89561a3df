import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as sinon from 'sinon';
import {
  AsyncOperationFailedError, AsyncOperationNotFinishedError, DataverseError, pollAsyncOperation, type AsyncOperationState, type OperationProgress,
} from '../../../../shared/dataverse';
import { HttpError } from '../../../../shared/http';
import { corpusDir } from '../../../helpers/paths';
import { FakeDataverse } from './fake-dataverse';

const ID = '310799b8-dc6c-ee11-9ae7-000d3aaae21d';
const JOB = '1b1fa80d-aa0f-4291-b60c-b0745304ce24';

const state = (statecode: number, statuscode: number, extra: Partial<AsyncOperationState> = {}): AsyncOperationState =>
  ({ asyncoperationid: ID, statecode, statuscode, ...extra });

function networkFailure(): DataverseError {
  const cause = new HttpError({ kind: 'network', method: 'GET', url: 'https://x/', clientRequestId: 'c', attempts: 6, networkCode: 'ECONNRESET' });
  return new DataverseError('read system job', 'https://contoso.crm.dynamics.com', cause);
}

describe('pollAsyncOperation (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => { clock = sinon.useFakeTimers({ now: 1_000_000 }); });
  afterEach(() => clock.restore());

  /** Runs the poll while advancing fake time until it settles. */
  async function run<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    const tracked = promise.finally(() => { settled = true; });
    tracked.catch(() => undefined);
    for (let i = 0; i < 10_000 && !settled; i++) await clock.tickAsync(500);
    return tracked;
  }

  it('polls with a growing interval (2 s ×1.5 up to 15 s) until 3/30, reporting status and import progress', async () => {
    const states = [state(0, 0), state(2, 20), state(2, 20), state(2, 20), state(2, 20), state(2, 20), state(2, 20), state(3, 30, { completedon: '2026-01-01T00:00:00Z' })];
    let polls = 0;
    const fake = new FakeDataverse((_m, p) => {
      if (p.startsWith('asyncoperations')) return { status: 200, data: states[Math.min(polls++, states.length - 1)] };
      if (p === `importjobs(${JOB})`) return { status: 200, data: { progress: polls * 10 } };
      return new Error(`unexpected ${p}`);
    });
    const progress: OperationProgress[] = [];
    const final = await run(pollAsyncOperation(fake.asClient(), ID, { importJobId: JOB, operation: 'import of Contoso 1.2.0.0', onProgress: (p) => progress.push(p) }));
    assert.equal(final.statuscode, 30);
    const pollTimes = fake.calls.filter((c) => c.path.startsWith('asyncoperations')).map((c) => c.at - 1_000_000);
    assert.deepEqual(pollTimes.slice(1).map((t, i) => t - pollTimes[i]), [2000, 3000, 4500, 6750, 10125, 15000, 15000]);
    assert.deepEqual(fake.calls[0].query, { $select: 'asyncoperationid,name,messagename,statecode,statuscode,message,friendlymessage,errorcode,startedon,completedon' });
    assert.deepEqual(progress.map((p) => [p.status, p.percent]), [
      ['Waiting for resources', 10], ['In progress', 20], ['In progress', 30], ['In progress', 40], ['In progress', 50], ['In progress', 60], ['In progress', 70],
    ]);
    assert.equal(progress[0].operation, 'import of Contoso 1.2.0.0');
  });

  it('3/31 fails with the message and friendly message; 3/32 says canceled', async () => {
    const fake = new FakeDataverse(() => ({ status: 200, data: state(3, 31, {
      message: 'ImportSolution failed: missing dependencies', friendlymessage: 'The import of solution Contoso failed.', errorcode: -2147188685,
    }) }));
    await assert.rejects(run(pollAsyncOperation(fake.asClient(), ID, { operation: 'import of Contoso' })), (err: Error) => {
      assert.ok(err instanceof AsyncOperationFailedError);
      assert.match(err.message, /^The import of Contoso failed on the server \(system job 310799b8-[^,]+, Failed\) \(error code 0x80048033\): The import of solution Contoso failed\. — ImportSolution failed: missing dependencies/);
      return true;
    });
    const canceled = new FakeDataverse(() => ({ status: 200, data: state(3, 32) }));
    await assert.rejects(run(pollAsyncOperation(canceled.asClient(), ID)), /system job .* was canceled on the server .*no message/);
  });

  it('a timeout says the server may still be working, the job id, and how to check', async () => {
    const fake = new FakeDataverse(() => ({ status: 200, data: state(2, 20) }));
    await assert.rejects(run(pollAsyncOperation(fake.asClient(), ID, { timeoutMs: 10 * 60_000, operation: 'export of Contoso' })), (err: Error) => {
      assert.ok(err instanceof AsyncOperationNotFinishedError);
      assert.equal(err.reason, 'timeout');
      assert.match(err.message, /^The export of Contoso did not finish within 10 minutes\. The server may still be working on it \(system job 310799b8-dc6c-ee11-9ae7-000d3aaae21d\): it was not stopped\. Last state: In progress\./);
      assert.match(err.message, /Solution History/);
      assert.match(err.message, /asyncoperations\(310799b8-dc6c-ee11-9ae7-000d3aaae21d\)/);
      return true;
    });
    // The last wait is cut at the deadline, then one more poll.
    const last = fake.calls[fake.calls.length - 1].at - 1_000_000;
    assert.equal(last, 10 * 60_000);
  });

  it('cancellation stops waiting at once and says the job keeps running', async () => {
    const fake = new FakeDataverse(() => ({ status: 200, data: state(2, 20) }));
    const controller = new AbortController();
    const promise = pollAsyncOperation(fake.asClient(), ID, { signal: controller.signal });
    promise.catch(() => undefined);
    await clock.tickAsync(2500);
    controller.abort();
    await assert.rejects(promise, (err: Error) => err instanceof AsyncOperationNotFinishedError && err.reason === 'cancelled' &&
      /was still running when the task was cancelled/.test(err.message));
    assert.equal(fake.calls.length, 2);
  });

  it('rides out a few failed polls (network, 5xx) but not a 404', async () => {
    let n = 0;
    const flaky = new FakeDataverse(() => (++n <= 2 ? networkFailure() : { status: 200, data: state(3, 30) }));
    assert.equal((await run(pollAsyncOperation(flaky.asClient(), ID))).statuscode, 30);
    const missing = new FakeDataverse(() => new DataverseError('read system job', 'https://contoso.crm.dynamics.com',
      new HttpError({ kind: 'status', status: 404, method: 'GET', url: 'https://x/', clientRequestId: 'c', attempts: 1, serverCode: '0x80040217' })));
    await assert.rejects(run(pollAsyncOperation(missing.asClient(), ID)), /HTTP 404/);
    assert.equal(missing.calls.length, 1);
  });

  const corpus = corpusDir();
  const recorded = corpus && path.join(corpus, 'importlogs', 'terraform-provider-power-platform__get_async_operations.json');
  if (recorded && fs.existsSync(recorded)) {
    it('accepts the recorded real asyncoperation row (corpus) as a success', async () => {
      const row = JSON.parse(fs.readFileSync(recorded, 'utf8')) as AsyncOperationState;
      const fake = new FakeDataverse(() => ({ status: 200, data: row }));
      const final = await run(pollAsyncOperation(fake.asClient(), row.asyncoperationid));
      assert.equal(final.completedon, '2023-10-17T11:05:18Z');
    });
  } else {
    it('recorded asyncoperation row: skipped (no corpus importlogs/; set DATAVERSE_CORPUS)', () => console.log('      corpus importlogs/ not found'));
  }
});
