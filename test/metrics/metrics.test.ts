import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { register } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeTestCerts } from '../helpers/certs.js';
import { lineClient } from '../helpers/line-client.js';
import { frame, peer, startServer } from '../helpers/socket.js';
import { Scrape, scrapeUntil } from './scrape.js';

const certs = makeTestCerts();
afterAll(() => certs.remove());

/** An upper len32be listener with metrics on port 0. */
async function upperWithMetrics() {
  const server = await startServer('upper@tcp://127.0.0.1:0?framing=len32be', {
    metrics: 'http://127.0.0.1:0',
  });
  const listener = server.listeners[0]!;
  const labels = { listener: listener.url, transport: 'tcp', service: 'upper' };
  return { server, port: listener.port, base: server.metrics!.url, labels };
}

describe('/metrics after real traffic', () => {
  it('the connection gauge follows clients up and down, and the counters match what was sent', async () => {
    const { port, base, labels } = await upperWithMetrics();
    expect((await Scrape.of(base)).value('switchboard_connections', labels)).toBe(0);

    const peers = await Promise.all([peer(port), peer(port), peer(port)]);
    await scrapeUntil(base, (s) => s.value('switchboard_connections', labels) === 3);

    // Each peer sends 10 messages of 5 bytes (9 on the wire) and reads every reply.
    const message = frame('hello');
    for (const p of peers) p.socket.write(Buffer.concat(Array.from({ length: 10 }, () => message)));
    await Promise.all(peers.map((p) => p.until((r) => r.length === 10 * message.length)));

    const s = await Scrape.of(base);
    expect(s.value('switchboard_connections', labels)).toBe(3);
    expect(s.value('switchboard_connections_total', labels)).toBe(3);
    expect(s.value('switchboard_messages_received_total', labels)).toBe(30);
    expect(s.value('switchboard_messages_sent_total', labels)).toBe(30);
    expect(s.value('switchboard_bytes_received_total', labels)).toBe(30 * message.length);
    expect(s.value('switchboard_bytes_sent_total', labels)).toBe(30 * message.length);
    expect(s.family('switchboard_connections')?.type).toBe('GAUGE');
    expect(s.family('switchboard_messages_received_total')?.type).toBe('COUNTER');

    // Two leave: the gauge goes down exactly, the totals keep what the closed ones did.
    peers[0].socket.end();
    peers[1].socket.destroy();
    const after = await scrapeUntil(base, (x) => x.value('switchboard_connections', labels) === 1);
    expect(after.value('switchboard_connections_total', labels)).toBe(3);
    expect(after.value('switchboard_messages_received_total', labels)).toBe(30);
    expect(after.value('switchboard_bytes_sent_total', labels)).toBe(30 * message.length);
    const closes = after.family('switchboard_closes_total')!.metrics;
    expect(closes.reduce((n, m) => n + Number(m.value), 0)).toBe(2);
    expect(closes.every((m) => m.labels?.listener === labels.listener)).toBe(true);

    peers[2].socket.end();
    const none = await scrapeUntil(base, (x) => x.value('switchboard_connections', labels) === 0);
    expect(none.value('switchboard_connections_total', labels)).toBe(3);
  });

  it('counts chat members, rooms and disconnects by reason', async () => {
    const server = await startServer('chat@tcp://127.0.0.1:0?flood=0', { metrics: 'http://127.0.0.1:0' });
    const base = server.metrics!.url;
    const port = server.listeners[0]!.port;
    const alice = await lineClient(port);
    const bob = await lineClient(port);
    await alice.expect(/^\* welcome/);
    await bob.expect(/^\* welcome/);
    const before = (await Scrape.of(base)).value('switchboard_chat_deliveries_total')!;
    bob.send('hi all');
    await alice.expect(/^<guest-\d+> hi all$/);
    expect((await Scrape.of(base)).value('switchboard_chat_deliveries_total')).toBe(before + 1);
    alice.send('/join ops');
    await alice.expect(/^\* you joined ops|joined ops/);

    let s = await scrapeUntil(base, (x) => x.value('switchboard_chat_members') === 2);
    expect(s.value('switchboard_chat_rooms')).toBe(2);
    expect(s.value('switchboard_backplane_up', { backplane: 'memory' })).toBe(1);

    bob.send('/quit');
    await bob.closed;
    alice.close();
    s = await scrapeUntil(base, (x) => x.value('switchboard_chat_members') === 0);
    expect(s.value('switchboard_chat_disconnects_total', { reason: 'quit' })).toBe(1);
    expect(s.value('switchboard_chat_disconnects_total', { reason: 'peer-closed' })).toBe(1);
    expect(s.value('switchboard_chat_rooms')).toBe(1); // ops went away with its last member
    for (const name of [
      'switchboard_chat_stalls_total',
      'switchboard_chat_stalled_seconds_total',
      'switchboard_chat_flood_delays_total',
      'switchboard_chat_max_member_queue_bytes',
    ]) {
      expect(s.value(name), name).toBe(0);
    }
  });

  it('counts TLS handshake failures and WebSocket close codes', async () => {
    const server = await startServer(
      [`upper@tls://127.0.0.1:0?cert=${certs.cert}&key=${certs.key}`, 'echo@ws://127.0.0.1:0/echo'],
      { metrics: 'http://127.0.0.1:0' },
    );
    const base = server.metrics!.url;
    const [tls, ws] = server.listeners;
    const before = (await Scrape.of(base)).value('switchboard_websocket_closes_total', { code: '4001' }) ?? 0;

    // Plain bytes on the TLS port: the handshake fails.
    const plain = netConnect(tls!.port, '127.0.0.1');
    plain.on('error', () => undefined);
    await once(plain, 'connect');
    plain.write('hello, not TLS\n');
    await once(plain, 'close');

    const client = new WebSocket(ws!.url);
    await once(client, 'open');
    client.close(4001, 'bye');
    await once(client, 'close');

    const s = await scrapeUntil(
      base,
      (x) =>
        x.value('switchboard_tls_handshake_failures_total', { listener: tls!.url }) === 1 &&
        x.value('switchboard_websocket_closes_total', { code: '4001' }) === before + 1,
    );
    expect(s.value('switchboard_connections', { listener: ws!.url })).toBe(0);
    expect(s.value('switchboard_connections_total', { listener: ws!.url })).toBe(1);
  });

  it("uses a registry of its own, with Node's default metrics, and leaves prom-client's global one empty", async () => {
    const { base, labels } = await upperWithMetrics();
    const s = await Scrape.of(base);
    expect(s.family('process_cpu_user_seconds_total')?.type).toBe('COUNTER');
    expect(s.family('nodejs_eventloop_lag_seconds')).toBeDefined();
    expect(s.value('switchboard_listener_up', labels)).toBe(1);
    expect(register.getMetricsAsArray()).toHaveLength(0);
  });
});
