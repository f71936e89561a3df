import assert from 'node:assert/strict';
import { startEmulator, type RunningEmulator } from '../../../emulator';
import { silentLogger } from '../../../shared/core';
import { createTaskClients } from '../../../shared/pipeline/session';
import { createFakeAgent } from './fakeAgent';

describe('pipeline task clients (against the emulator)', () => {
  let emulator: RunningEmulator;
  before(async () => { emulator = await startEmulator(); });
  after(async () => { await emulator?.stop(); });

  it('connects to the connection\'s environment and registers every token with setSecret as it arrives', async () => {
    const info = emulator.info;
    const agent = createFakeAgent({
      inputs: { connection: 'ep' },
      endpoints: {
        ep: {
          url: info.environments.dev,
          auth: { scheme: 'None', parameters: { tenantId: info.tenantId, applicationId: info.clientId, clientSecret: info.clientSecret ?? '', authorityHost: info.authorityHost } },
        },
      },
    });
    const clients = createTaskClients(agent, silentLogger);
    try {
      const session = clients.connectDataverse();
      assert.equal(session.connection.environmentUrl, info.environments.dev);
      const before = agent.secrets.length;
      const who = await session.client.whoAmI();
      assert.match(who.UserId, /^[0-9a-f-]{36}$/);
      const token = await session.tokenProvider.getToken(info.environments.dev);
      assert.ok(agent.secrets.slice(before).includes(token), 'the token was masked when obtained');
      assert.equal(clients.http(), clients.http(), 'one transport per run');
    } finally {
      clients.close();
    }
  });
});
