import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import type { Principal } from './principal.js';
import type { Config } from '../config.js';

/**
 * Data subjects sign in to the suite's login service, which issues them a JWT: `sub` is the account
 * id, `tenant` the tenant, `auth_time` when they last logged in (step-up checks it), `exp` when the
 * token ends. Verified against the login service's JWKS, issuer and audience; the embedded system
 * and the tests verify an HS256 secret instead (and can mint tokens with it, `dsar token`).
 */

export interface SubjectTokenSettings {
  jwksUrl?: string;
  /** HS256 secret (base64), used when no JWKS URL is configured. */
  secret?: string;
  issuer?: string;
  audience?: string;
}

const REQUIRED_CLAIMS = ['sub', 'tenant', 'auth_time', 'exp'];

export function subjectTokenSettings(config: Config, secret: string | undefined): SubjectTokenSettings {
  return { jwksUrl: config.subjectJwksUrl, secret, issuer: config.subjectTokenIssuer, audience: config.subjectTokenAudience };
}

export type SubjectPrincipal = Extract<Principal, { kind: 'subject' }>;

export class SubjectTokens {
  private readonly key: JWTVerifyGetKey | Uint8Array | undefined;
  private readonly algorithms: string[];

  constructor(private readonly settings: SubjectTokenSettings) {
    if (settings.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(settings.jwksUrl));
      this.algorithms = ['RS256', 'ES256', 'PS256', 'EdDSA'];
    } else {
      this.key = settings.secret ? Buffer.from(settings.secret, 'base64') : undefined;
      this.algorithms = ['HS256'];
    }
  }

  /** The subject a token stands for, or undefined for any token that is not genuine, current and complete. */
  async principalOf(token: string): Promise<SubjectPrincipal | undefined> {
    if (!this.key) return undefined;
    const options = {
      algorithms: this.algorithms,
      requiredClaims: REQUIRED_CLAIMS,
      ...(this.settings.issuer ? { issuer: this.settings.issuer } : {}),
      ...(this.settings.audience ? { audience: this.settings.audience } : {}),
    };
    try {
      const { payload } =
        this.key instanceof Uint8Array ? await jwtVerify(token, this.key, options) : await jwtVerify(token, this.key, options);
      const { sub, tenant, auth_time: authTime } = payload;
      if (!sub || typeof tenant !== 'string' || !tenant || typeof authTime !== 'number') return undefined;
      return { kind: 'subject', role: 'subject', tenantId: tenant, subjectId: sub, authTime: new Date(authTime * 1000) };
    } catch {
      return undefined;
    }
  }

  /** A token for the embedded login stand-in (HS256 secret only): the demo and the tests. */
  async mint(tenant: string, subject: string, options: { authAgeSeconds?: number; ttlSeconds?: number } = {}): Promise<string> {
    if (!(this.key instanceof Uint8Array)) throw new Error('Minting subject tokens needs SUBJECT_TOKEN_SECRET (not a JWKS URL)');
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ tenant, auth_time: now - (options.authAgeSeconds ?? 0) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(subject)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.ttlSeconds ?? 3600));
    if (this.settings.issuer) jwt.setIssuer(this.settings.issuer);
    if (this.settings.audience) jwt.setAudience(this.settings.audience);
    return jwt.sign(this.key);
  }
}
