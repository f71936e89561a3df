import * as assert from 'node:assert/strict';
import { CHECKER_GEOGRAPHIES, resolveCheckerEndpoint } from '../../../shared/checker';

describe('checker geography', () => {
  const fromHost = (host: string): string => resolveCheckerEndpoint({ environmentUrl: `https://${host}/` }).url;

  it('maps every public region of protocol.md §9.1, including crm17 → switzerland', () => {
    const expected: Record<string, string> = {
      'contoso.crm.dynamics.com': 'unitedstates',
      'contoso.crm2.dynamics.com': 'southamerica',
      'contoso.crm3.dynamics.com': 'canada',
      'contoso.crm4.dynamics.com': 'europe',
      'contoso.crm5.dynamics.com': 'asia',
      'contoso.crm6.dynamics.com': 'australia',
      'contoso.crm7.dynamics.com': 'japan',
      'contoso.crm8.dynamics.com': 'india',
      'contoso.crm11.dynamics.com': 'unitedkingdom',
      'contoso.crm12.dynamics.com': 'france',
      'contoso.crm15.dynamics.com': 'unitedarabemirates',
      'contoso.crm16.dynamics.com': 'germany',
      'contoso.crm17.dynamics.com': 'switzerland',
    };
    for (const [host, geography] of Object.entries(expected)) {
      assert.equal(fromHost(host), `https://${geography}.api.advisor.powerapps.com`, host);
    }
  });

  it('maps the sovereign clouds (both spellings of the DoD host)', () => {
    assert.equal(fromHost('contoso.crm9.dynamics.com'), 'https://gov.api.advisor.powerapps.us');
    assert.equal(fromHost('contoso.crm.microsoftdynamics.us'), 'https://high.api.advisor.powerapps.us');
    assert.equal(fromHost('contoso.crm.appsplatform.us'), 'https://mil.api.advisor.appsplatform.us');
    assert.equal(fromHost('contoso.crm.appsplatforms.us'), 'https://mil.api.advisor.appsplatform.us');
    assert.equal(fromHost('contoso.crm.dynamics.cn'), 'https://china.api.advisor.powerapps.cn');
  });

  it('defaults to the United States with a warning for an unknown region', () => {
    const endpoint = resolveCheckerEndpoint({ environmentUrl: 'https://contoso.crm14.dynamics.com' });
    assert.equal(endpoint.url, 'https://unitedstates.api.advisor.powerapps.com');
    assert.match(endpoint.warning ?? '', /No checker geography is known for the environment host contoso\.crm14\.dynamics\.com/);
    assert.equal(resolveCheckerEndpoint({ environmentUrl: 'https://contoso.crm4.dynamics.com' }).warning, undefined);
  });

  it('an explicit URL wins over the geography and the environment; a geography name over the environment', () => {
    const explicit = resolveCheckerEndpoint({ checkerUrl: 'https://japan.api.advisor.powerapps.com/', geography: 'europe', environmentUrl: 'https://x.crm4.dynamics.com' });
    assert.deepEqual([explicit.url, explicit.reason], ['https://japan.api.advisor.powerapps.com', 'given explicitly']);
    assert.equal(resolveCheckerEndpoint({ checkerUrl: 'http://127.0.0.1:7071/checker/' }).url, 'http://127.0.0.1:7071/checker');
    assert.equal(resolveCheckerEndpoint({ geography: 'United Kingdom', environmentUrl: 'https://x.crm4.dynamics.com' }).url, 'https://unitedkingdom.api.advisor.powerapps.com');
    assert.equal(resolveCheckerEndpoint({ geography: 'MIL' }).url, `https://${CHECKER_GEOGRAPHIES.mil}`);
  });

  it('refuses what it cannot use, saying what to give instead', () => {
    assert.throws(() => resolveCheckerEndpoint({ checkerUrl: 'http://checker.example.com' }), /must use https/);
    assert.throws(() => resolveCheckerEndpoint({ geography: 'atlantis' }), /Unknown checker geography 'atlantis'.*unitedstates/);
    assert.throws(() => resolveCheckerEndpoint({ environmentUrl: 'http://127.0.0.1:7071/env/dev' }), /Give the checker URL explicitly/);
    assert.throws(() => resolveCheckerEndpoint({}), /no checker URL, geography or environment URL/);
  });
});
