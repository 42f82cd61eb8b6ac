/**
 * Where a webhook may go. HTTPS to public addresses on ports 443 and 80 (plus any the operator
 * allows) only, unless development explicitly allows http and private targets; checked when a
 * subscription is saved and again at every connect against the address actually dialled, so DNS
 * rebinding cannot slip a private target in.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export class UrlPolicyError extends Error {}

export interface UrlPolicy {
  /** Development and tests: http, private addresses and any port. */
  allowPrivate: boolean;
  /** Ports allowed beside 443 and 80 (HUB_WEBHOOK_ALLOWED_PORTS). */
  extraPorts: readonly number[];
}

const DEFAULT_PORTS = [443, 80];

/**
 * Only ordinary public unicast addresses. Loopback, private, link-local (metadata), CGNAT and the
 * other special ranges are refused, and so is every IPv6 form that embeds an IPv4 address
 * (mapped, translated, 6to4, NAT64, Teredo) and the whole deprecated IPv4-compatible `::/96`.
 */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  const addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6') {
    const parts = (addr as ipaddr.IPv6).parts;
    if (parts.slice(0, 6).every((p) => p === 0)) return false; // ::/96, including :: and ::1
  }
  return addr.range() === 'unicast';
}

const portOf = (url: URL): number => (url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443);

export function checkUrlShape(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlPolicyError('url is not a valid URL');
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) {
    throw new UrlPolicyError('url must use https');
  }
  if (url.username || url.password) throw new UrlPolicyError('url must not contain credentials');
  if (!url.hostname) throw new UrlPolicyError('url has no host');
  const port = portOf(url);
  if (!policy.allowPrivate && !DEFAULT_PORTS.includes(port) && !policy.extraPorts.includes(port)) {
    throw new UrlPolicyError(`url port ${port} is not allowed (443, 80${policy.extraPorts.map((p) => `, ${p}`).join('')})`);
  }
  return url;
}

const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

/** Save-time check: the URL's shape and every address its host resolves to now. */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  const url = checkUrlShape(raw, policy);
  if (policy.allowPrivate) return url;
  const host = hostOf(url);
  const addresses = isIP(host)
    ? [host]
    : await new Promise<string[]>((resolve, reject) =>
        dnsLookup(host, { all: true }, (err, found) => (err ? reject(new UrlPolicyError('url host does not resolve')) : resolve(found.map((a) => a.address)))),
      );
  const blocked = addresses.find((a) => !isPublicAddress(a));
  if (blocked) throw new UrlPolicyError('url resolves to a private, loopback, link-local or reserved address');
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the HTTP client's connect step: resolves as usual, then refuses private
 * answers. The client connects to exactly the address this returns.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      if (!allowPrivate && list.some((a) => !isPublicAddress(a.address))) {
        const refused = Object.assign(new Error(`refused: ${hostname} resolves to a non-public address`), { code: 'EHUBPRIVATE' });
        return callback(refused, []);
      }
      if (options.all) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** IP literals skip DNS, so the connect-time guard checks them here. */
export function assertLiteralAllowed(url: URL, allowPrivate: boolean): void {
  const host = hostOf(url);
  if (!allowPrivate && isIP(host) && !isPublicAddress(host)) {
    throw new UrlPolicyError(`refused: ${host} is not a public address`);
  }
}
