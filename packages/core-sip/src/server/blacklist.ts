/**
 * Destination blacklists (OpenSIPS `dst_blacklist` with `use_blacklist()`): named lists of
 * `[proto:]address[/prefix][:port]` rules (proto `any` or omitted for all, port 0 or omitted for any).
 * A request's branches may not go to a destination on a list the script enabled for it: tm answers
 * t_relay with -5, or moves on to the next DNS destination. Addresses are IP literals or subnets,
 * matched with Node's BlockList.
 */
import { BlockList, isIP } from 'node:net';
import { TsipsError } from '../errors.js';
import type { Proto } from '../transport/types.js';

interface Rule {
  proto: Proto | 'any';
  port: number;
  addresses: BlockList;
}

/** After an optional `proto:`: `[v6]` / dotted v4 with `/prefix` and `:port`; a bare v6 takes no port. */
const BRACKETED = /^\[([0-9a-f:.]+)\](?:\/(\d{1,3}))?(?::(\d{1,5}))?$/i;
const V4 = /^([0-9.]+)(?:\/(\d{1,2}))?(?::(\d{1,5}))?$/;
const BARE_V6 = /^([0-9a-f:.]+)(?:\/(\d{1,3}))?$/i;

function parseRule(list: string, text: string): Rule {
  const bad = (why: string): never => {
    throw new TsipsError('E_CONFIG', `dst_blacklist "${list}": bad rule "${text}" (${why}); expected [proto:]address[/prefix][:port]`);
  };
  let rest = text.trim();
  let proto: Proto | 'any' = 'any';
  const p = /^(udp|tcp|tls|any):/i.exec(rest);
  if (p !== null) {
    proto = (p[1] as string).toLowerCase() as Proto | 'any';
    rest = rest.slice(p[0].length);
  }
  const m = BRACKETED.exec(rest) ?? V4.exec(rest) ?? BARE_V6.exec(rest);
  if (m === null) return bad('not of the form');
  const address = m[1] as string;
  const family = isIP(address);
  if (family === 0) return bad('not an IP address');
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const prefix = m[2] === undefined ? undefined : Number(m[2]);
  if (prefix !== undefined && prefix > (family === 4 ? 32 : 128)) bad('prefix too long');
  const port = m[3] === undefined ? 0 : Number(m[3]);
  if (port > 65535) bad('port out of range');
  const addresses = new BlockList();
  if (prefix === undefined) addresses.addAddress(address, type);
  else addresses.addSubnet(address, prefix, type);
  return { proto, port, addresses };
}

export class Blacklists {
  readonly #lists = new Map<string, Rule[]>();

  constructor(defs: Readonly<Record<string, readonly string[]>> = {}) {
    for (const [name, rules] of Object.entries(defs))
      this.#lists.set(
        name,
        rules.map((r) => parseRule(name, r)),
      );
  }

  has(name: string): boolean {
    return this.#lists.has(name);
  }

  /** True when `proto:address:port` is on one of the lists `names`. */
  matches(names: readonly string[], proto: Proto, address: string, port: number): boolean {
    const family = isIP(address);
    if (family === 0) return false; // only resolved destinations are checked
    const type = family === 4 ? 'ipv4' : 'ipv6';
    for (const name of names) {
      for (const r of this.#lists.get(name) ?? []) {
        if ((r.proto === 'any' || r.proto === proto) && (r.port === 0 || r.port === port) && r.addresses.check(address, type)) return true;
      }
    }
    return false;
  }
}
