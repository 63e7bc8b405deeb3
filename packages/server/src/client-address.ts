/**
 * Who the client is: the address a request came from, and the group its per-client budget is counted under.
 *
 * Threat: a forged client address. `X-Forwarded-For` is anyone's to write; an address in it is believed only
 * when every hop after it is a proxy the operator trusts (TWOFA_TRUSTED_PROXIES). The header is walked from
 * the right (the entry the nearest proxy appended) past trusted proxies; the first untrusted address is the
 * client. Entries a client wrote itself sit to the left of that and are never read.
 */
import { BlockList, isIP, isIPv4 } from 'node:net';

/** A set of trusted proxy networks, from CIDRs like `10.0.0.0/8`, `::1/128` or a bare address. */
export interface TrustedProxies {
  /** The networks as written (for the README's examples and tests). */
  readonly cidrs: readonly string[];
  readonly has: (address: string) => boolean;
}

/** No proxy is trusted: the socket's address is the client's. */
export const NO_TRUSTED_PROXIES: TrustedProxies = { cidrs: [], has: () => false };

/**
 * Parses a comma-separated list of CIDRs (IPv4 and IPv6; a bare address is a /32 or /128). Throws an Error
 * naming the entry at fault (config.ts turns it into a ConfigError naming the variable).
 */
export function parseTrustedProxies(text: string): TrustedProxies {
  const list = new BlockList();
  const cidrs: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [address = '', prefixText, extra] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) throw new Error(`has an entry that is not a CIDR: "${entry}"`);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || !Number.isInteger(prefix) || prefix > max) {
      throw new Error(`has an entry with a prefix length outside 0-${max}: "${entry}"`);
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    cidrs.push(`${address}/${prefix}`);
  }
  if (cidrs.length === 0) return NO_TRUSTED_PROXIES;
  return {
    cidrs,
    has: (address) => {
      const plain = unmapped(address);
      const family = isIP(plain);
      if (family === 0) return false;
      return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy, in which case `X-Forwarded-For`
 * is walked from the right past trusted proxies and the first untrusted entry is the client. When every entry
 * is a trusted proxy, the left-most is the client (a request made from inside the trusted network). An entry
 * that is not an address ends the walk at the last address believed (a proxy never writes garbage).
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trusted: TrustedProxies,
): string | undefined {
  if (peer === undefined) return undefined;
  let client = unmapped(peer);
  if (forwardedFor === undefined || !trusted.has(client)) return client;
  const hops = forwardedFor.split(',').map((hop) => hop.trim());
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapped(stripPort(hops[i]!));
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}

/**
 * The key a client's request budget is counted under: an IPv4 address as it is, an IPv6 address by its /64
 * (one customer's network: RFC 6177 and every ISP hand out at least a /64, so one client can pick among 2^64
 * addresses). Undefined for anything that is not an address.
 */
export function clientGroup(address: string | null | undefined): string | undefined {
  if (address === null || address === undefined) return undefined;
  const plain = unmapped(address.split('%')[0]!);
  if (isIPv4(plain)) return plain;
  if (isIP(plain) !== 6) return undefined;
  return `${expandIPv6(plain).slice(0, 4).join(':')}::/64`;
}

/**
 * `::ffff:192.0.2.1` (an IPv4 client on a dual-stack socket) is `192.0.2.1`, also when written in hex
 * (`::ffff:c000:201`, as some proxies do): else every such client would fall in one IPv6 /64, one budget.
 */
function unmapped(address: string): string {
  if (isIP(address) !== 6) return address;
  const groups = expandIPv6(address);
  if (groups.slice(0, 5).some((group) => group !== '0') || groups[5] !== 'ffff') return address;
  const [high, low] = [Number.parseInt(groups[6]!, 16), Number.parseInt(groups[7]!, 16)];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** An X-Forwarded-For entry may carry a port (`192.0.2.1:5000`, `[2001:db8::1]:5000`). */
function stripPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(hop);
  return v4 ? v4[1]! : hop;
}

/** The eight 16-bit groups of an IPv6 address, lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  // A trailing dotted quad (::ffff:1.2.3.4 is handled above; others like 64:ff9b::1.2.3.4) as two groups.
  const quad = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16).toString(16));
}
