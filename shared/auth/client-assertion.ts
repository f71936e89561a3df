import { createHash, createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { UserError } from '../core';

/** A certificate credential ready to sign assertions: the RSA private key and the thumbprints of its certificate. */
export interface SigningCertificate {
  key: KeyObject;
  /** base64url SHA-256 of the certificate DER (JWT header `x5t#S256`). */
  x5tS256: string;
  /** base64url SHA-1 of the certificate DER (JWT header `x5t`, still expected by some Entra deployments). */
  x5t: string;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ((?:RSA |ENCRYPTED |EC )?)PRIVATE KEY-----[\s\S]+?-----END \1PRIVATE KEY-----/;
const HINT = 'Paste a PEM that holds the certificate and its unencrypted RSA private key (PKCS#8 or PKCS#1).';

/** Reads the service connection's PEM (certificate + private key). Errors say what is missing, never the key. */
export function loadSigningCertificate(pem: string): SigningCertificate {
  const keyMatch = KEY_BLOCK.exec(pem);
  if (!keyMatch) throw new UserError('The certificate in the service connection has no private key block.', HINT);
  if (keyMatch[1] === 'ENCRYPTED ') {
    throw new UserError('The private key in the service connection is encrypted, which is not supported.', HINT);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyMatch[0]);
  } catch {
    throw new UserError('The private key in the service connection could not be read.', HINT);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new UserError(`The private key in the service connection is ${key.asymmetricKeyType ?? 'not RSA'}; RS256 needs an RSA key.`, HINT);
  }
  const blocks = pem.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) throw new UserError('The certificate in the service connection has no CERTIFICATE block.', HINT);
  const certificate = blocks.map(readCertificate).find((cert) => cert?.checkPrivateKey(key));
  if (!certificate) {
    throw new UserError('No certificate in the service connection matches its private key.', HINT);
  }
  return {
    key,
    x5tS256: createHash('sha256').update(certificate.raw).digest('base64url'),
    x5t: createHash('sha1').update(certificate.raw).digest('base64url'),
  };
}

function readCertificate(block: string): X509Certificate | undefined {
  try {
    return new X509Certificate(block);
  } catch {
    return undefined;
  }
}

/**
 * JWT client assertion (RFC 7523) for the token endpoint `audience`: RS256, iss = sub = client id, valid
 * 10 minutes from `nowMs`.
 */
export function createClientAssertion(certificate: SigningCertificate, clientId: string, audience: string, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT', x5t: certificate.x5t, 'x5t#S256': certificate.x5tS256 };
  const claims = { aud: audience, iss: clientId, sub: clientId, jti: randomUUID(), iat: now, nbf: now, exp: now + 600 };
  const signingInput = `${base64url(header)}.${base64url(claims)}`;
  const signature = sign('sha256', Buffer.from(signingInput), certificate.key).toString('base64url');
  return `${signingInput}.${signature}`;
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
