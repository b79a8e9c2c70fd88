/**
 * A tiny authoritative DNS server on 127.0.0.1 for tests (RFC 1035 wire format): A, NAPTR (RFC 3403) and
 * SRV (RFC 2782) from a table; AAAA and unknown types get an empty NOERROR answer; unknown names NXDOMAIN.
 * Enough for node:dns `Resolver` pointed at it through tm's `dns_servers` modparam.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface Zone {
  a?: Record<string, string[]>;
  srv?: Record<string, { priority: number; weight: number; port: number; name: string }[]>;
  naptr?: Record<string, { order: number; preference: number; flags: string; service: string; regexp: string; replacement: string }[]>;
}

const T_A = 1;
const T_SRV = 33;
const T_NAPTR = 35;

function encodeName(name: string): Buffer {
  const parts = name
    .replace(/\.$/, '')
    .split('.')
    .filter((p) => p !== '');
  const bufs = parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')]));
  return Buffer.concat([...bufs, Buffer.from([0])]);
}

function charString(s: string): Buffer {
  return Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'ascii')]);
}

function u16(...v: number[]): Buffer {
  const b = Buffer.alloc(v.length * 2);
  v.forEach((x, i) => b.writeUInt16BE(x, i * 2));
  return b;
}

/** The question's name (uncompressed, as resolvers send it) and where the question ends. */
function readQuestion(q: Buffer): { name: string; type: number; end: number } {
  let i = 12;
  const labels: string[] = [];
  for (;;) {
    const len = q[i] ?? 0;
    i++;
    if (len === 0) break;
    labels.push(q.subarray(i, i + len).toString('ascii'));
    i += len;
  }
  return { name: labels.join('.').toLowerCase(), type: q.readUInt16BE(i), end: i + 4 };
}

function answer(zone: Zone, name: string, type: number): Buffer[] | null {
  const known = zone.a?.[name] !== undefined || zone.srv?.[name] !== undefined || zone.naptr?.[name] !== undefined;
  if (!known) return null;
  const rr = (t: number, rdata: Buffer): Buffer => Buffer.concat([u16(0xc00c, t, 1), Buffer.from([0, 0, 0, 30]), u16(rdata.length), rdata]);
  switch (type) {
    case T_A:
      return (zone.a?.[name] ?? []).map((ip) => rr(T_A, Buffer.from(ip.split('.').map(Number))));
    case T_SRV:
      return (zone.srv?.[name] ?? []).map((s) => rr(T_SRV, Buffer.concat([u16(s.priority, s.weight, s.port), encodeName(s.name)])));
    case T_NAPTR:
      return (zone.naptr?.[name] ?? []).map((n) =>
        rr(T_NAPTR, Buffer.concat([u16(n.order, n.preference), charString(n.flags), charString(n.service), charString(n.regexp), encodeName(n.replacement)])),
      );
    default:
      return [];
  }
}

export class DnsServer {
  readonly queries: string[] = [];
  private constructor(
    private readonly sock: Socket,
    readonly port: number,
    public zone: Zone,
  ) {}

  static async start(zone: Zone): Promise<DnsServer> {
    const sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res));
    const srv = new DnsServer(sock, sock.address().port, zone);
    sock.on('message', (q, rinfo) => {
      let reply: Buffer;
      try {
        const { name, type, end } = readQuestion(q);
        srv.queries.push(`${type}:${name}`);
        const rrs = answer(srv.zone, name, type);
        // Flags: response, authoritative, recursion desired copied, recursion available; rcode 3 = NXDOMAIN.
        const flags = 0x8400 | (q.readUInt16BE(2) & 0x0100) | 0x0080 | (rrs === null ? 3 : 0);
        reply = Buffer.concat([u16(q.readUInt16BE(0), flags, 1, rrs?.length ?? 0, 0, 0), q.subarray(12, end), ...(rrs ?? [])]);
      } catch {
        return;
      }
      sock.send(reply, rinfo.port, rinfo.address);
    });
    return srv;
  }

  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Lets the process exit with the server still open (one shared by a whole test file). */
  unref(): this {
    this.sock.unref();
    return this;
  }

  close(): void {
    this.sock.close();
  }
}
