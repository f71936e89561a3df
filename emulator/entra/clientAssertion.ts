/**
 * Validates a `client_assertion`: either a JWT the app signed with its certificate's private key
 * (RS256, `x5t#S256` or `x5t` naming the registered certificate), or, for federated apps, an Azure
 * DevOps oidc token this emulator issued for one of the app's service connections.
 */
import { X509Certificate } from 'node:crypto';
import { decodeJwt, nowSeconds, verifyRs256 } from '../core/jwt';
import type { SeedApp } from '../core/seed';
import { TOKEN_EXCHANGE_AUDIENCE, type TokenService } from '../core/tokens';
import { entraErrors, type EntraError } from './errors';

/** Clock skew allowed on nbf, as Entra does. */
const SKEW_SECONDS = 300;

export function validateClientAssertion(assertion: string, app: SeedApp, tokenEndpoint: string, tokens: TokenService): EntraError | undefined {
  const jwt = decodeJwt(assertion);
  if (!jwt) return entraErrors.malformedAssertion('The client_assertion is not a compact JWT (header.payload.signature).');

  const oidc = tokens.checkOidcToken(assertion);
  if (oidc.ok || oidc.reason === 'expired') return validateFederated(oidc.ok, jwt.payload, app);

  const certificate = app.certificatePem ? parseCertificate(app.certificatePem) : undefined;
  const thumbprint = stringClaim(jwt.header['x5t#S256']) ?? stringClaim(jwt.header.x5t);
  if (!certificate || !thumbprint) return entraErrors.keyNotFound(app.clientId, thumbprint ?? '(no x5t#S256 or x5t header)');
  const matches = thumbprint === certificate.x5tS256 || thumbprint === certificate.x5t;
  if (!matches) return entraErrors.keyNotFound(app.clientId, thumbprint);
  if (!verifyRs256(jwt, certificate.cert.publicKey)) return entraErrors.invalidSignature();

  const { aud, iss, sub, exp, nbf } = jwt.payload;
  if (typeof aud !== 'string' || aud.toLowerCase() !== tokenEndpoint.toLowerCase()) return entraErrors.assertionAudience(aud, tokenEndpoint);
  if (iss !== app.clientId || sub !== app.clientId) return entraErrors.assertionSubjectMismatch();
  const now = nowSeconds();
  if (typeof exp !== 'number' || exp <= now || (typeof nbf === 'number' && nbf > now + SKEW_SECONDS)) return entraErrors.assertionTimeRange(now, nbf, exp);
  return undefined;
}

function validateFederated(current: boolean, claims: Record<string, unknown>, app: SeedApp): EntraError | undefined {
  const { iss, sub, aud, nbf, exp } = claims;
  if (aud !== TOKEN_EXCHANGE_AUDIENCE) return entraErrors.federatedAudience(aud);
  const connectionId = typeof sub === 'string' ? sub.replace(/^sc:\/\/emulator\/project\//, '') : '';
  const trusted = app.federated === true &&
    (app.federatedServiceConnections ?? []).some((id) => id.toLowerCase() === connectionId.toLowerCase());
  if (!trusted) return entraErrors.noFederatedRecord(iss, sub, aud);
  if (!current) return entraErrors.assertionTimeRange(nowSeconds(), nbf, exp);
  return undefined;
}

interface ParsedCertificate {
  cert: X509Certificate;
  x5t: string;
  x5tS256: string;
}

function parseCertificate(pem: string): ParsedCertificate {
  const cert = new X509Certificate(pem);
  const thumb = (fingerprint: string) => Buffer.from(fingerprint.replace(/:/g, ''), 'hex').toString('base64url');
  return { cert, x5t: thumb(cert.fingerprint), x5tS256: thumb(cert.fingerprint256) };
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
