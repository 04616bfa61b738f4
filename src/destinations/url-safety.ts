// Which URLs a destination may have, and which addresses the gateway may connect to for it. A partner
// names the URL, so without these checks a destination could make the gateway post into its own network
// (SSRF): loopback, private ranges, link-local and the cloud metadata address are refused at creation and
// again at each connection, since a name may resolve elsewhere later (DNS rebinding).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { DestinationError } from './errors.js';

/** Longest URL accepted: long enough for any real endpoint, short enough to list and log safely. */
export const MAX_URL_LENGTH = 2048;

export interface UrlPolicy {
  /** Production accepts https only; development also http. */
  production: boolean;
  /** EVENT_DESTINATIONS_ALLOW_PRIVATE: skip the address checks (tests and development only). */
  allowPrivate: boolean;
}

// IANA special-purpose registries (RFC 6890 and successors): nothing a public webhook endpoint lives on.
const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, including the metadata address 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
];
const BLOCKED_V6: [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64: maps onto IPv4, private ones included
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: maps onto IPv4
  ['fc00::', 7], // unique local (AWS' IPv6 metadata address fd00:ec2::254 among them)
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
];

const blocked = new BlockList();
for (const [network, prefix] of BLOCKED_V4) blocked.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of BLOCKED_V6) blocked.addSubnet(network, prefix, 'ipv6');

/** Whether the gateway must not connect to this address (IPv4-mapped IPv6 judged by its IPv4). */
export function isBlockedAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL as given, when its form is acceptable; throws DestinationError (invalid) naming what is wrong. */
export function parseDestinationUrl(raw: string, policy: UrlPolicy): URL {
  const invalid = (reason: string) => new DestinationError('invalid', `url ${reason}`, 'url');
  if (raw.length > MAX_URL_LENGTH) throw invalid(`must be at most ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('is not an absolute URL.');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.production)) {
    throw invalid(policy.production ? 'must use https.' : 'must use https or http.');
  }
  // Credentials in a URL would be shown wherever the destination is listed.
  if (url.username !== '' || url.password !== '') throw invalid('must not contain credentials.');
  if (url.hash !== '') throw invalid('must not contain a fragment.');
  return url;
}

/** The host of a URL as a bare name or address (IPv6 literals lose their brackets). */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Resolves every address of the URL's host; throws DestinationError (invalid) if any is refused. */
export async function checkAddresses(url: URL, policy: UrlPolicy): Promise<void> {
  if (policy.allowPrivate) return;
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await lookupAll(host)).map((entry) => entry.address);
    } catch {
      throw new DestinationError('invalid', 'url: its host name does not resolve.', 'url');
    }
  }
  if (addresses.length === 0 || addresses.some(isBlockedAddress)) {
    throw new DestinationError(
      'invalid',
      'url resolves to a loopback, private, link-local or otherwise reserved address.',
      'url',
    );
  }
}

function lookupAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );
}

/** Raised inside a connection attempt whose host resolved to a refused address. */
export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
  constructor(host: string) {
    super(`${host} resolves to a refused address`);
    this.name = 'BlockedAddressError';
  }
}

/**
 * A `lookup` for the sockets of deliveries: the address checked is the one connected to, so a name that
 * resolves to a public address at creation and a private one later is refused at that later connection.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    if (addresses.length === 0 || addresses.some((entry) => isBlockedAddress(entry.address))) {
      return callback(new BlockedAddressError(hostname), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};
