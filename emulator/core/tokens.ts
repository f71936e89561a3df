/**
 * Access tokens and Azure DevOps oidc tokens this emulator issues: HS256 JWTs signed with keys that
 * belong to one emulator instance, so a token from one emulator is worthless at another.
 */
import { randomBytes } from 'node:crypto';
import { decodeJwt, nowSeconds, signHs256, verifyHs256, type JwtPayload } from './jwt';
import { newGuid } from './ids';

export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
const OIDC_TOKEN_LIFETIME_SECONDS = 600;

export interface AccessTokenRequest {
  issuer: string;
  tenantId: string;
  appId: string;
  /** Object id of the caller's service principal. */
  objectId: string;
  /** The resource the token is for (its `aud`). */
  resource: string;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  /** Unix seconds. */
  expiresOn: number;
}

export type TokenCheck =
  | { ok: true; claims: JwtPayload }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired'; claims?: JwtPayload };

export class TokenService {
  private readonly accessKey = randomBytes(32);
  private readonly oidcKey = randomBytes(32);
  /** jti of every token issued since the last `expireAll`. */
  private readonly live = new Set<string>();
  /** jti of tokens that `expireAll` ended early. */
  private readonly expired = new Set<string>();

  constructor(public lifetimeSeconds: number) {}

  issueAccessToken(request: AccessTokenRequest): IssuedToken {
    const iat = nowSeconds();
    const exp = iat + this.lifetimeSeconds;
    const jti = newGuid();
    this.live.add(jti);
    const token = signHs256({
      aud: request.resource,
      iss: request.issuer,
      iat,
      nbf: iat,
      exp,
      appid: request.appId,
      azp: request.appId,
      idtyp: 'app',
      oid: request.objectId,
      sub: request.objectId,
      tid: request.tenantId,
      ver: '1.0',
      jti,
    }, this.accessKey, { kid: 'emulator-access' });
    return { token, expiresIn: this.lifetimeSeconds, expiresOn: exp };
  }

  checkAccessToken(token: string): TokenCheck {
    return this.check(token, this.accessKey);
  }

  issueOidcToken(issuer: string, serviceConnectionId: string): string {
    const iat = nowSeconds();
    const jti = newGuid();
    this.live.add(jti);
    return signHs256({
      iss: issuer,
      sub: `sc://emulator/project/${serviceConnectionId}`,
      aud: TOKEN_EXCHANGE_AUDIENCE,
      iat,
      nbf: iat,
      exp: iat + OIDC_TOKEN_LIFETIME_SECONDS,
      jti,
    }, this.oidcKey, { kid: 'emulator-oidc' });
  }

  checkOidcToken(token: string): TokenCheck {
    return this.check(token, this.oidcKey);
  }

  /** Every token issued so far counts as expired from now on. */
  expireAll(): number {
    const count = this.live.size;
    for (const jti of this.live) this.expired.add(jti);
    this.live.clear();
    return count;
  }

  private check(token: string, key: Buffer): TokenCheck {
    const jwt = decodeJwt(token);
    if (!jwt) return { ok: false, reason: 'malformed' };
    if (!verifyHs256(jwt, key)) return { ok: false, reason: 'signature', claims: jwt.payload };
    const { exp, jti } = jwt.payload;
    if (typeof exp !== 'number' || nowSeconds() >= exp || (typeof jti === 'string' && this.expired.has(jti))) {
      return { ok: false, reason: 'expired', claims: jwt.payload };
    }
    return { ok: true, claims: jwt.payload };
  }
}
