import * as assert from 'node:assert/strict';
import { UserError, errorMessage } from '../../shared/core';

describe('shared/core', () => {
  it('UserError appends the hint that says what to do', () => {
    const e = new UserError("Input 'version' is not a version.", 'Use 1.2.3.4 or a pattern like *.*.$(Build.BuildId).0.');
    assert.equal(e.message, "Input 'version' is not a version. Use 1.2.3.4 or a pattern like *.*.$(Build.BuildId).0.");
    assert.equal(errorMessage(e), e.message);
    assert.equal(errorMessage('plain'), 'plain');
  });
});
