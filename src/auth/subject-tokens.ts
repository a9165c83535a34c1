import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from 'jose';
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
  /** HS256 secret; undefined with a JWKS URL. */
  private readonly secret: Uint8Array | undefined;
  private readonly verify: ((token: string) => Promise<JWTPayload>) | undefined;

  constructor(private readonly settings: SubjectTokenSettings) {
    const options = {
      requiredClaims: REQUIRED_CLAIMS,
      ...(settings.issuer ? { issuer: settings.issuer } : {}),
      ...(settings.audience ? { audience: settings.audience } : {}),
    };
    if (settings.jwksUrl) {
      const jwks = createRemoteJWKSet(new URL(settings.jwksUrl));
      const algorithms = ['RS256', 'ES256', 'PS256', 'EdDSA'];
      this.verify = async (token) => (await jwtVerify(token, jwks, { ...options, algorithms })).payload;
    } else if (settings.secret) {
      const secret = Buffer.from(settings.secret, 'base64');
      this.secret = secret;
      this.verify = async (token) => (await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] })).payload;
    }
  }

  /** The subject a token stands for, or undefined for any token that is not genuine, current and complete. */
  async principalOf(token: string): Promise<SubjectPrincipal | undefined> {
    if (!this.verify) return undefined;
    try {
      const { sub, tenant, auth_time: authTime } = await this.verify(token);
      if (!sub || typeof tenant !== 'string' || !tenant || typeof authTime !== 'number') return undefined;
      return { kind: 'subject', role: 'subject', tenantId: tenant, subjectId: sub, authTime: new Date(authTime * 1000) };
    } catch {
      return undefined;
    }
  }

  /** A token for the embedded login stand-in (HS256 secret only): the demo and the tests. */
  async mint(tenant: string, subject: string, options: { authAgeSeconds?: number; ttlSeconds?: number } = {}): Promise<string> {
    if (!this.secret) throw new Error('Minting subject tokens needs SUBJECT_TOKEN_SECRET (not a JWKS URL)');
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ tenant, auth_time: now - (options.authAgeSeconds ?? 0) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(subject)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.ttlSeconds ?? 3600));
    if (this.settings.issuer) jwt.setIssuer(this.settings.issuer);
    if (this.settings.audience) jwt.setAudience(this.settings.audience);
    return jwt.sign(this.secret);
  }
}
