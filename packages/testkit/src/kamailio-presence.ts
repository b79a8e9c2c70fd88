/**
 * A Kamailio presence server (Debian `kamailio-presence-modules`: presence, presence_xml,
 * presence_dialoginfo, presence_mwi) on db_text, for the pua tests: PUBLISH and SUBSCRIBE are handled by
 * presence, everything else gets 404. The db_text tables are copied from the package's templates into a
 * temporary directory, removed by stop().
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKamailio, type KamailioServer } from './kamailio.js';
import { UdpPeer, headerOf, methodOf, replyTo } from './udp-peer.js';

const TEMPLATES = '/usr/share/kamailio/dbtext/kamailio';
const TABLES = ['version', 'presentity', 'active_watchers', 'watchers', 'xcap', 'pua'];

export interface PresenceServerOptions {
  /** presence `min_expires` (a shorter PUBLISH/SUBSCRIBE Expires gets 423 with Min-Expires); 0: none. */
  minExpires?: number;
  /** presence `clean_period` in seconds (default 5, to expire publications quickly). */
  cleanPeriod?: number;
  /**
   * Answer PUBLISH/SUBSCRIBE asking for less than this with 423 and Min-Expires (the script does it: Kamailio's
   * presence raises a short Expires silently instead).
   */
  tooBrief?: number;
  debug?: number;
  /** Challenge PUBLISH and SUBSCRIBE (401, qop=auth) for this realm; the password of user U is `pw-U`. */
  authRealm?: string;
}

export async function startPresenceServer(opts: PresenceServerOptions = {}): Promise<KamailioServer> {
  if (!existsSync(join(TEMPLATES, 'presentity'))) throw new Error(`${TEMPLATES} not found: install the Debian package "kamailio-presence-modules" (and "kamailio")`);
  const db = await mkdtemp(join(tmpdir(), 'tsips-presence-db-'));
  for (const t of TABLES) await cp(join(TEMPLATES, t), join(db, t));
  const script = `
loadmodule "db_text.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "presence.so"
${opts.authRealm === undefined ? '' : 'loadmodule "auth.so"\nmodparam("auth", "secret", "tsips-pua-test")'}
loadmodule "presence_xml.so"
loadmodule "presence_dialoginfo.so"
loadmodule "presence_mwi.so"
modparam("presence|presence_xml", "db_url", "text://${db}")
modparam("presence", "min_expires", ${opts.minExpires ?? 0})
modparam("presence", "clean_period", ${opts.cleanPeriod ?? 5})
modparam("presence", "db_update_period", 1)
modparam("presence_xml", "force_active", 1)
request_route {
  xlog("L_INFO", "REQ $rm $ru from $si:$sp etag=$hdr(SIP-If-Match) expires=$hdr(Expires) totag=$tt cseq=$cs\\n");
  ${opts.tooBrief === undefined ? '' : `if (is_method("PUBLISH|SUBSCRIBE") && $(hdr(Expires){s.int}) > 0 && $(hdr(Expires){s.int}) < ${opts.tooBrief}) { append_to_reply("Min-Expires: ${opts.tooBrief}\\r\\n"); sl_send_reply("423", "Interval Too Brief"); exit; }`}
  ${opts.authRealm === undefined ? '' : `if (is_method("PUBLISH|SUBSCRIBE")) { if (!pv_www_authenticate("${opts.authRealm}", "pw-$au", "0")) { www_challenge("${opts.authRealm}", "1"); exit; } consume_credentials(); }`}
  if (is_method("PUBLISH")) { handle_publish(); exit; }
  if (is_method("SUBSCRIBE")) { handle_subscribe(); exit; }
  sl_send_reply("404", "Not here");
}
`;
  const kam = await startKamailio(script, { debug: opts.debug ?? 2 });
  return {
    ...kam,
    async stop() {
      await kam.stop();
      await rm(db, { recursive: true, force: true });
    },
  };
}

/**
 * A watcher on its own UDP socket, subscribed at a presence server as a plain UA would be: it answers
 * every NOTIFY 200 and keeps them, so a test can wait for the one whose body it expects.
 */
export class PresenceWatcher {
  readonly notifies: { state: string; body: string; text: string }[] = [];
  private seq = 0;
  private readonly callId = `w-${Math.random().toString(36).slice(2)}@test`;

  private constructor(
    private readonly peer: UdpPeer,
    private readonly server: number,
  ) {
    void this.loop();
  }

  static async open(serverPort: number): Promise<PresenceWatcher> {
    return new PresenceWatcher(await UdpPeer.open(), serverPort);
  }

  private async loop(): Promise<void> {
    for (;;) {
      let r;
      try {
        r = await this.peer.next(3_600_000);
      } catch {
        return;
      }
      if (methodOf(r.text) !== 'NOTIFY') continue;
      await this.peer.send(replyTo(r.text, 200, 'OK'), r.port).catch(() => undefined);
      const i = r.text.indexOf('\r\n\r\n');
      this.notifies.push({ state: headerOf(r.text, 'Subscription-State') ?? '', body: i < 0 ? '' : r.text.slice(i + 4), text: r.text });
    }
  }

  /** Sends SUBSCRIBE for `event` of `presUri` (not waiting for the reply: the NOTIFYs tell). */
  async subscribe(presUri: string, event: string, expires = 120): Promise<void> {
    this.seq++;
    const text = [
      `SUBSCRIBE ${presUri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.peer.port};branch=z9hG4bKw${this.seq}${Date.now()};rport`,
      'Max-Forwards: 70',
      `From: <sip:watcher@127.0.0.1>;tag=wt1`,
      `To: <${presUri}>`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.seq} SUBSCRIBE`,
      `Contact: <sip:watcher@127.0.0.1:${this.peer.port}>`,
      `Event: ${event}`,
      `Expires: ${expires}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await this.peer.send(text, this.server);
  }

  /** The first NOTIFY (from `from` on) whose body matches; throws after `ms`. */
  async waitFor(pred: (body: string, state: string) => boolean, ms = 10_000, from = 0): Promise<{ state: string; body: string; text: string; index: number }> {
    const end = Date.now() + ms;
    for (;;) {
      for (let i = from; i < this.notifies.length; i++) {
        const n = this.notifies[i]!;
        if (pred(n.body, n.state)) return { ...n, index: i };
      }
      if (Date.now() > end)
        throw new Error(`no matching NOTIFY within ${ms} ms; got ${this.notifies.length}: ${this.notifies.map((n) => n.state + ' ' + n.body.slice(0, 200)).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    this.peer.close();
  }
}
