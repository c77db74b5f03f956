import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/client/client.js';
import type { Session } from '../../src/services/service.js';
import { startServer } from '../helpers/socket.js';

describe('session ids', () => {
  it('are unique in the process across listeners and transports (tcp, unix, udp)', async () => {
    const ids: number[] = [];
    const record = (_m: Buffer, session: Session): string => {
      ids.push(session.id);
      return 'ok';
    };
    const s = await startServer([
      { url: 'tcp://127.0.0.1:0?framing=line', service: record },
      { url: 'udp://127.0.0.1:0', service: record },
    ]);
    for (let i = 0; i < 3; i++) {
      const c = await connect(`${s.listeners[0]!.url}?framing=line`);
      await c.request('hi');
      await c.close();
    }
    const udp = createSocket('udp4');
    for (let i = 0; i < 3; i++) {
      udp.send('hi', s.listeners[1]!.port, '127.0.0.1');
      await once(udp, 'message');
    }
    udp.close();
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
  });

  it('the server API shows listeners with a structured bound address, no internals', async () => {
    const s = await startServer('upper@tcp://127.0.0.1:0');
    const l = s.listeners[0]!;
    expect(l.address).toMatchObject({ transport: 'tcp', host: '127.0.0.1', port: l.port, url: l.url });
    expect(l.port).toBeGreaterThan(0);
    expect(Object.keys(s)).not.toContain('track');
    expect((s as unknown as Record<string, unknown>)['add']).toBeUndefined();
  });
});
