import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';
import { badRequest } from '../errors.js';

/**
 * Every call this service makes to an address a tenant configured (feature connectors, webhooks)
 * goes through one guard, so a tenant cannot point the service at itself, its Redis, the cloud
 * metadata address or anything else inside the network:
 *
 * - `https` only; `http` too when OUTBOUND_ALLOW_HTTP=true, and always for OUTBOUND_ALLOW_HOSTS;
 * - no credentials in the URL;
 * - every address the host stands for must be public unicast (ipaddr.js' `unicast` range, IPv4-mapped
 *   IPv6 read as IPv4): loopback, link-local (169.254.0.0/16, the metadata address), private,
 *   unique-local, carrier-grade NAT, multicast, unspecified and reserved ranges are refused;
 * - hosts listed in OUTBOUND_ALLOW_HOSTS (names or addresses as the URL gives them, e.g. `127.0.0.1`
 *   in development and tests) are exempt from the address check; `localhost` is not `127.0.0.1`.
 *
 * At configuration, `check` resolves the name and refuses what is forbidden (a 400). At every call,
 * the connection's own DNS lookup checks the addresses again and connects only to a checked one, so
 * a name that changes its answer between check and connect (DNS rebinding) gains nothing. Redirects
 * are never followed (callers send `redirect: 'manual'` and treat a 3xx as a failure), so no hop
 * goes unchecked. A refusal is the same error whatever the target, and happens before any connection.
 */

export interface OutboundPolicy {
  /** Host names or addresses exempt from the address check (and allowed over http). */
  allowHosts: readonly string[];
  /** Whether plain http is allowed to any (checked) host. */
  allowHttp: boolean;
}

/** The one error for every forbidden target: its message does not tell targets apart. */
export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
  readonly kind = 'outbound-refused';
  constructor() {
    super('outbound call refused');
  }
}

/** Why a configured URL is refused, for the 400 the admin sees (it is their own input). */
export class OutboundUrlInvalid extends Error {
  override name = 'OutboundUrlInvalid';
}

export class OutboundGuard {
  private readonly allowed: ReadonlySet<string>;
  /** Connects only to addresses the lookup checked (undici's connect passes `lookup` to net/tls). */
  readonly dispatcher: Agent;

  constructor(private readonly policy: OutboundPolicy) {
    this.allowed = new Set(policy.allowHosts.map(bare));
    this.dispatcher = new Agent({ connect: { lookup: this.lookup } });
  }

  /**
   * A URL as configured: refused (OutboundUrlInvalid, with the reason) unless it may be called now.
   * Resolves the name, so a name that points inside the network is refused too.
   */
  async check(raw: string): Promise<URL> {
    const url = URL.canParse(raw) ? new URL(raw) : undefined;
    if (!url) throw new OutboundUrlInvalid('not a URL');
    const problem = this.urlProblem(url);
    if (problem) throw new OutboundUrlInvalid(problem);
    const host = bare(url.hostname);
    if (this.allowed.has(host) || isIP(host)) return url;
    const addresses = await resolveAll(host).catch(() => {
      throw new OutboundUrlInvalid('the host name does not resolve');
    });
    if (!this.addressesAllowed(addresses)) throw new OutboundUrlInvalid('the host is not a public address');
    return url;
  }

  /** `check` for a URL an admin configures: a refusal is a 400 naming the field and the reason. */
  async admit(raw: string, field: string): Promise<void> {
    try {
      await this.check(raw);
    } catch (err) {
      if (!(err instanceof OutboundUrlInvalid)) throw err;
      throw badRequest(`This URL may not be called: ${err.message}`, [{ field, message: err.message }]);
    }
  }

  /**
   * `fetch` through the guard: the URL is checked first (a literal address never reaches a DNS
   * lookup), then the connection's lookup checks every address of a name. Throws OutboundRefused.
   */
  async fetch(url: URL, init: Omit<RequestInit, 'redirect'>): Promise<Response> {
    if (this.urlProblem(url)) throw new OutboundRefused();
    try {
      const dispatcher = this.dispatcher as unknown as RequestInit['dispatcher'];
      return await fetch(url, { ...init, redirect: 'manual', dispatcher } as RequestInit);
    } catch (err) {
      if (err instanceof TypeError && err.cause instanceof OutboundRefused) throw err.cause;
      throw err;
    }
  }

  /** Scheme, credentials and literal addresses: what is known without DNS. */
  private urlProblem(url: URL): string | undefined {
    const host = bare(url.hostname);
    const exempt = this.allowed.has(host);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (this.policy.allowHttp || exempt))) {
      return this.policy.allowHttp ? 'the URL must be http or https' : 'the URL must be https';
    }
    if (url.username || url.password) return 'the URL must not hold credentials';
    if (!exempt && isIP(host) && !isPublic(host)) return 'the host is not a public address';
    return undefined;
  }

  /** A listed host is exempt by the name the URL gives, not by what a name resolves to. */
  private addressesAllowed(addresses: readonly LookupAddress[]): boolean {
    return addresses.length > 0 && addresses.every((a) => isPublic(a.address));
  }

  /** A dns.lookup that answers only with checked addresses, in the form net asked for. */
  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    resolveAll(hostname, options.family).then(
      (addresses) => {
        if (!this.allowed.has(bare(hostname)) && !this.addressesAllowed(addresses)) {
          callback(new OutboundRefused(), '', 0);
        } else if (options.all) {
          (callback as unknown as (err: null, addresses: LookupAddress[]) => void)(null, addresses);
        } else {
          const [first] = addresses as [LookupAddress];
          callback(null, first.address, first.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

function resolveAll(hostname: string, family?: number | string): Promise<LookupAddress[]> {
  const wanted = family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : typeof family === 'number' ? family : 0;
  return new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, family: wanted }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );
}

/** Public unicast only; an IPv4-mapped IPv6 address is judged as the IPv4 address it carries. */
export function isPublic(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/** A URL's IPv6 host comes in brackets; lists and lookups name it without. */
function bare(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}
