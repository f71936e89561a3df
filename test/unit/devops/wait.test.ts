import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import {
  ApprovalWaitCancelledError, waitForApproval, type ApprovalPoll, type ApprovalSource, type StateChange, type WaitForApprovalOptions,
  type WorkItemComment, type WorkItemStatus,
} from '../../../shared/devops';

/** A work item whose state follows a script: `states[i]` is what poll i+1 sees (the last one repeats). */
class ScriptedSource implements ApprovalSource {
  polls = 0;
  stateChange?: StateChange;
  comment?: WorkItemComment;
  failHistory = false;

  constructor(private readonly states: string[]) {}

  async getWorkItemStatus(id: number): Promise<WorkItemStatus> {
    const state = this.states[Math.min(this.polls, this.states.length - 1)];
    this.polls++;
    return { id, rev: this.polls, type: 'Task', title: 'Approve deployment', state, changedBy: { displayName: 'Last Editor' }, changedDate: new Date(0) };
  }

  async findStateChange(): Promise<StateChange | undefined> {
    if (this.failHistory) throw new Error('history unavailable');
    return this.stateChange;
  }

  async getLatestComment(): Promise<WorkItemComment | undefined> {
    return this.comment;
  }
}

const MINUTE = 60_000;

function options(overrides: Partial<WaitForApprovalOptions> = {}): WaitForApprovalOptions {
  return {
    workItemId: 7,
    approvedStates: ['Closed'],
    rejectedStates: ['Removed'],
    timeoutMs: 10 * MINUTE,
    pollIntervalMs: MINUTE,
    ...overrides,
  };
}

/** Runs the wait while moving the fake clock to each timer it sets. */
async function drive<T>(promise: Promise<T>, clock: sinon.SinonFakeTimers): Promise<T> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  while (!settled) {
    if (clock.countTimers() > 0) await clock.nextAsync();
    else await new Promise((resolve) => setImmediate(resolve));
  }
  return promise;
}

describe('devops: waitForApproval', () => {
  let clock: sinon.SinonFakeTimers;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12, 0, 0), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  it('returns granted once the work item reaches an approved state, with who approved, when, and the latest comment', async () => {
    const source = new ScriptedSource(['New', 'Active', 'closed']);
    const approvedAt = new Date(Date.UTC(2026, 0, 1, 12, 2, 0));
    source.stateChange = { state: 'Closed', by: { displayName: 'Ada Lovelace', uniqueName: 'ada@contoso.com' }, at: approvedAt };
    source.comment = { id: 3, text: 'Ship it', by: { displayName: 'Ada Lovelace' } };
    const seen: ApprovalPoll[] = [];

    const outcome = await drive(waitForApproval(source, options({ onPoll: (p) => seen.push(p) })), clock);

    assert.equal(outcome.decision, 'granted');
    assert.equal(outcome.workItem.state, 'closed');
    assert.deepEqual(outcome.decidedBy, { displayName: 'Ada Lovelace', uniqueName: 'ada@contoso.com' });
    assert.equal(outcome.decidedAt, approvedAt);
    assert.equal(outcome.latestComment?.text, 'Ship it');
    assert.equal(outcome.polls, 3);
    assert.equal(outcome.elapsedMs, 2 * MINUTE);
    assert.deepEqual(seen.map((p) => [p.poll, p.status.state, p.elapsedMs, p.remainingMs]), [
      [1, 'New', 0, 10 * MINUTE],
      [2, 'Active', MINUTE, 9 * MINUTE],
      [3, 'closed', 2 * MINUTE, 8 * MINUTE],
    ]);
  });

  it('returns rejected for a rejected state, falling back to the last editor when the history cannot be read', async () => {
    const source = new ScriptedSource(['New', 'Removed']);
    source.failHistory = true;
    const debug: string[] = [];

    const outcome = await drive(waitForApproval(source, options(), { debug: (m) => debug.push(m) }), clock);

    assert.equal(outcome.decision, 'rejected');
    assert.deepEqual(outcome.decidedBy, { displayName: 'Last Editor' });
    assert.ok(debug.some((m) => m.includes('history unavailable')), debug.join('\n'));
  });

  it('times out after a last poll at the deadline and reports the state it saw', async () => {
    const source = new ScriptedSource(['Active']);

    const outcome = await drive(waitForApproval(source, options({ timeoutMs: 150_000 })), clock);

    assert.equal(outcome.decision, 'timed-out');
    assert.equal(outcome.workItem.state, 'Active');
    // t = 0, 60 s, 120 s, then the shortened last wait to 150 s.
    assert.equal(outcome.polls, 4);
    assert.equal(outcome.elapsedMs, 150_000);
    assert.equal(outcome.decidedBy, undefined);
  });

  it('with a zero timeout polls once and decides from that one answer', async () => {
    assert.equal((await waitForApproval(new ScriptedSource(['Active']), options({ timeoutMs: 0 }))).decision, 'timed-out');
    assert.equal((await waitForApproval(new ScriptedSource(['Closed']), options({ timeoutMs: 0 }))).decision, 'granted');
  });

  it('stops at once when cancelled while waiting, naming the work item and its last state', async () => {
    const source = new ScriptedSource(['Active']);
    const controller = new AbortController();
    const waiting = waitForApproval(source, options({ signal: controller.signal }));
    await clock.tickAsync(MINUTE + 1);
    controller.abort();

    await assert.rejects(waiting, (err: unknown) => {
      assert.ok(err instanceof ApprovalWaitCancelledError);
      assert.equal(err.workItemId, 7);
      assert.equal(err.lastState, 'Active');
      assert.match(err.message, /work item 7 \(state 'Active'\).*cancelled/);
      return true;
    });
    assert.equal(source.polls, 2);
    assert.equal(clock.countTimers(), 0);
  });

  it('does not poll at all when already cancelled', async () => {
    const source = new ScriptedSource(['Closed']);
    await assert.rejects(waitForApproval(source, options({ signal: AbortSignal.abort() })), ApprovalWaitCancelledError);
    assert.equal(source.polls, 0);
  });

  it('propagates a failed poll (the client has already retried it)', async () => {
    const source = new ScriptedSource(['Active']);
    source.getWorkItemStatus = async () => {
      throw new Error('HTTP 403');
    };
    await assert.rejects(waitForApproval(source, options()), /HTTP 403/);
  });

  it('refuses contradictory or missing settings before polling', async () => {
    const source = new ScriptedSource(['Closed']);
    await assert.rejects(waitForApproval(source, options({ approvedStates: [] })), /No approved state/);
    await assert.rejects(waitForApproval(source, options({ approvedStates: ['Done'], rejectedStates: [' done '] })), /'Done'.*both approved and rejected/);
    await assert.rejects(waitForApproval(source, options({ workItemId: 0 })), /not a work item id/);
    await assert.rejects(waitForApproval(source, options({ pollIntervalMs: 0 })), /poll interval/);
    assert.equal(source.polls, 0);
  });
});
