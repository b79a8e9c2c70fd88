/** UdpPeer keeps every datagram: queued when nobody waits, never handed to a waiter that already timed out. */
import { afterEach, describe, expect, it } from 'vitest';
import { UdpPeer, waitFor } from '../src/index.js';

const open: UdpPeer[] = [];
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});
async function peer(): Promise<UdpPeer> {
  const p = await UdpPeer.open();
  open.push(p);
  return p;
}

describe('UdpPeer', () => {
  it('queues datagrams that arrive while no next() is pending, in arrival order', async () => {
    const [a, b] = [await peer(), await peer()];
    for (const t of ['one', 'two', 'three']) await a.send(t, b.port);
    await waitFor(
      async () => b.queued === 3,
      2000,
      () => `${b.queued} of 3 datagrams queued`,
    );
    expect([(await b.next()).text, (await b.next()).text, (await b.next()).text]).toEqual(['one', 'two', 'three']);
  });

  it('hands a datagram that arrives after a timed-out next() to the following next()', async () => {
    const [a, b] = [await peer(), await peer()];
    await expect(b.next(50)).rejects.toThrow('no datagram within 50 ms');
    await a.send('late', b.port);
    expect((await b.next()).text).toBe('late');
  });

  it('serves concurrent waiters one datagram each, first come first served', async () => {
    const [a, b] = [await peer(), await peer()];
    const first = b.next();
    const second = b.next();
    await a.send('x', b.port);
    await a.send('y', b.port);
    expect([(await first).text, (await second).text]).toEqual(['x', 'y']);
    expect((await first).port).toBe(a.port);
  });
});
