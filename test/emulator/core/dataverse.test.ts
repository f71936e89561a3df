import * as assert from 'node:assert/strict';
import type { RunningEmulator } from '../../../emulator';
import { control, dataverse, decodePayload, requestToken, secretToken, withEmulator } from './helpers';

describe('emulator core: Dataverse front door', () => {
  let emu: RunningEmulator;
  let token: string;

  before(async () => {
    emu = await withEmulator();
  });
  beforeEach(async () => {
    await control(emu, 'POST', 'reset');
    token = await secretToken(emu);
  });
  after(() => emu.stop());

  describe('WhoAmI and RetrieveCurrentOrganization', () => {
    it('answers WhoAmI in the documented shape with a UserId stable per app', async () => {
      const res = await dataverse(emu, 'dev', 'WhoAmI', token);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json; odata\.metadata=minimal/);
      const body = await res.json() as Record<string, string>;
      assert.equal(body['@odata.context'], `${emu.info.environments.dev}/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`);
      for (const key of ['BusinessUnitId', 'UserId', 'OrganizationId']) assert.match(body[key], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

      const again = await (await dataverse(emu, 'dev', 'WhoAmI', await secretToken(emu))).json() as Record<string, string>;
      assert.equal(again.UserId, body.UserId);
      const imds = await fetch(`${emu.info.imdsEndpoint}?api-version=2018-02-01&resource=${encodeURIComponent(emu.info.environments.dev)}`, { headers: { Metadata: 'true' } });
      const miToken = ((await imds.json()) as { access_token: string }).access_token;
      const mi = await (await dataverse(emu, 'dev', 'WhoAmI', miToken)).json() as Record<string, string>;
      assert.notEqual(mi.UserId, body.UserId);
      assert.equal(mi.OrganizationId, body.OrganizationId);
    });

    it('serves v9.0 and v9.1 as well, and nothing else', async () => {
      for (const version of ['9.0', '9.1']) {
        const res = await fetch(`${emu.info.environments.dev}/api/data/v${version}/WhoAmI`, { headers: { Authorization: `Bearer ${token}` } });
        assert.equal(res.status, 200, version);
      }
      const res = await fetch(`${emu.info.environments.dev}/api/data/v9.3/WhoAmI`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(res.status, 404);
    });

    it('answers RetrieveCurrentOrganization with the alias and the inline form', async () => {
      const alias = await dataverse(emu, 'dev', "RetrieveCurrentOrganization(AccessType=@p)?@p=Microsoft.Dynamics.CRM.EndpointAccessType'Default'", token);
      assert.equal(alias.status, 200);
      const body = await alias.json() as { Detail: Record<string, unknown> };
      assert.equal(body.Detail.TenantId, emu.info.tenantId);
      assert.equal(body.Detail.UrlName, 'dev');
      assert.ok(body.Detail.OrganizationVersion);
      const inline = await dataverse(emu, 'dev', "RetrieveCurrentOrganization(AccessType=Microsoft.Dynamics.CRM.EndpointAccessType'Default')", token);
      assert.equal(inline.status, 200);
      const missing = await dataverse(emu, 'dev', 'RetrieveCurrentOrganization(AccessType=@p)', token);
      assert.equal(missing.status, 400);
    });

    it('refuses POST to WhoAmI', async () => {
      assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token, { method: 'POST' })).status, 405);
    });

    it('answers unknown routes with the OData 404 error', async () => {
      const res = await dataverse(emu, 'dev', 'nosuchentities_xyz?$top=1', token);
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), { error: { code: '0x8006088a', message: "Resource not found for the segment 'nosuchentities_xyz'." } });
    });

    it('answers an unknown environment with 404', async () => {
      const res = await dataverse(emu, 'nope', 'WhoAmI', token);
      assert.equal(res.status, 404);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /nope/);
    });
  });

  describe('bearer tokens', () => {
    const challenge = (res: Response) => res.headers.get('www-authenticate') ?? '';

    it('requires a bearer token and says where to get one', async () => {
      const res = await dataverse(emu, 'dev', 'WhoAmI', undefined);
      assert.equal(res.status, 401);
      assert.match(challenge(res), /^Bearer authorization_uri=.*\/entra\/.*\/oauth2\/authorize, resource_id=.*\/env\/dev\/$/);
    });

    it('refuses a token that is not one it issued', async () => {
      const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      for (const bad of ['garbage', forged]) {
        const res = await dataverse(emu, 'dev', 'WhoAmI', bad);
        assert.equal(res.status, 401);
        assert.match(challenge(res), /error="invalid_token"/);
      }
    });

    it('refuses a token for another environment (audience) and accepts the trailing-slash audience', async () => {
      const res = await dataverse(emu, 'test', 'WhoAmI', token);
      assert.equal(res.status, 401);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /audience/);

      const { body } = await requestToken(emu, {
        client_id: emu.info.clientId, client_secret: emu.info.clientSecret ?? '', grant_type: 'client_credentials', scope: `${emu.info.environments.test}//.default`,
      });
      assert.equal(decodePayload(body.access_token as string).aud, `${emu.info.environments.test}/`);
      assert.equal((await dataverse(emu, 'test', 'WhoAmI', body.access_token as string)).status, 200);
    });

    it('refuses a checker token at Dataverse', async () => {
      const checker = await secretToken(emu, 'https://api.advisor.powerapps.com');
      assert.equal((await dataverse(emu, 'dev', 'WhoAmI', checker)).status, 401);
    });

    it('answers 401 "expired" once the token lifetime has passed', async () => {
      await control(emu, 'POST', 'settings', { tokenLifetimeSeconds: 0 });
      const expired = await secretToken(emu);
      const res = await dataverse(emu, 'dev', 'WhoAmI', expired);
      assert.equal(res.status, 401);
      assert.match(challenge(res), /error="invalid_token", error_description="The access token is expired"/);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /expired/);
    });

    it('expires every issued token on request, and a new token works again', async () => {
      assert.equal((await dataverse(emu, 'dev', 'WhoAmI', token)).status, 200);
      const { body } = await control(emu, 'POST', 'tokens/expire');
      assert.ok((body as { expired: number }).expired >= 1);
      const res = await dataverse(emu, 'dev', 'WhoAmI', token);
      assert.equal(res.status, 401);
      assert.match(challenge(res), /expired/);
      assert.equal((await dataverse(emu, 'dev', 'WhoAmI', await secretToken(emu))).status, 200);
    });
  });

  describe('OData headers and correlation ids', () => {
    it('accepts 4.0 or no OData headers and refuses other versions', async () => {
      const ok = await dataverse(emu, 'dev', 'WhoAmI', token, { headers: { 'OData-Version': '4.0', 'OData-MaxVersion': '4.0', Accept: 'application/json' } });
      assert.equal(ok.status, 200);
      for (const header of ['OData-Version', 'OData-MaxVersion']) {
        const res = await dataverse(emu, 'dev', 'WhoAmI', token, { headers: { [header]: '3.0' } });
        assert.equal(res.status, 400, header);
        assert.match(((await res.json()) as { error: { message: string } }).error.message, new RegExp(header));
      }
    });

    it('gives every response a service request id and echoes the client request id', async () => {
      const res = await dataverse(emu, 'dev', 'WhoAmI', token, { headers: { 'x-ms-client-request-id': 'client-42' } });
      const id = res.headers.get('x-ms-service-request-id');
      assert.match(id ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(res.headers.get('req_id'), id);
      assert.equal(res.headers.get('x-ms-client-request-id'), 'client-42');
      const denied = await dataverse(emu, 'dev', 'WhoAmI', undefined);
      assert.ok(denied.headers.get('x-ms-service-request-id'));
      assert.notEqual(denied.headers.get('x-ms-service-request-id'), id);
    });
  });
});
