import { describe, expect, it } from 'vitest';
import { WorkerBacklog } from '../../src/server/worker-backlog.js';

describe('WorkerBacklog (what a worker has not taken yet)', () => {
  it('counts messages until their sends are taken, oldest first', () => {
    const b = new WorkerBacklog(100, 1_000);
    b.sent(3, 0);
    b.sent(1, 10);
    expect(b.waiting).toBe(4);
    b.taken();
    expect(b.waiting).toBe(1);
    b.taken();
    b.taken(); // a callback more than sends (a closed channel's errors): nothing goes negative
    expect(b.waiting).toBe(0);
    expect(b.overdue(5_000)).toBeUndefined();
  });

  it('is overdue past the message limit, or when its oldest send waited past the stall time', () => {
    const b = new WorkerBacklog(10, 1_000);
    b.sent(10, 0);
    expect(b.overdue(500)).toBeUndefined();
    b.sent(1, 600);
    expect(b.overdue(600)).toBe('11 messages wait for it (limit 10)');
    b.taken();
    expect(b.overdue(1_500)).toBeUndefined(); // the send of 600 has waited 900 ms
    expect(b.overdue(1_700)).toBe('it has not taken a message for 1100 ms (limit 1000 ms; 1 waiting)');
  });

  it('counts right through the trimming of taken sends, when the worker is always a little behind', () => {
    const b = new WorkerBacklog(1e9, 1e9);
    for (let i = 0; i < 100_000; i++) {
      b.sent(1, i);
      b.sent(1, i);
      b.taken();
    }
    expect(b.waiting).toBe(100_000);
    for (let i = 0; i < 100_000; i++) b.taken();
    expect(b.waiting).toBe(0);
    expect(b.overdue(2e9)).toBeUndefined();
  });
});
