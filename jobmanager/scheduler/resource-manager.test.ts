import type WebSocket from 'ws';
import { configureLogging } from '../../common/log';
import type { SlotRef } from '../../common/plan';
import { ManualClock } from '../testing/manual-clock';
import { ResourceManager, type SlotRequest } from './resource-manager';

configureLogging('error', 'text');

/** A TaskManager's control connection that only records what is sent and whether it was closed. */
class TestingWebSocket {
  sent = 0;
  terminated = false;
  send(): void {
    this.sent++;
  }
  terminate(): void {
    this.terminated = true;
  }
}

function request(jobId: string, slots: number, log: string[]): SlotRequest & { got?: SlotRef[] } {
  const r: SlotRequest & { got?: SlotRef[] } = {
    jobId,
    slots,
    allocated: (s) => {
      r.got = s;
      log.push(`${jobId} got ${s.map((x) => `${x.tm}#${x.slot}`).join(',')}`);
    },
    waiting: (free, total) => log.push(`${jobId} waits (${free}/${total})`),
  };
  return r;
}

describe('ResourceManager', () => {
  let rm: ResourceManager;
  let clock: ManualClock;
  const lost: string[] = [];
  beforeEach(() => {
    lost.length = 0;
    clock = new ManualClock();
    rm = new ResourceManager(
      { intervalMs: 1000, timeoutMs: 60_000 },
      (tm, reason) => lost.push(`${tm.id}: ${reason}`),
      { clock, timers: clock },
    );
  });
  afterEach(() => rm.close());

  const join = (id: string, slots: number) => {
    const ws = new TestingWebSocket();
    rm.registry.register(ws as unknown as WebSocket, id, slots, `ws://127.0.0.1:1/${id}`);
    return ws;
  };

  it('serves waiting requests in order as TaskManagers join, a smaller later one first if it fits', () => {
    const log: string[] = [];
    rm.requestSlots(request('big', 3, log));
    rm.requestSlots(request('small', 1, log));
    expect(log).toContain('small waits (0/0)');
    log.length = 0;
    join('tm1', 2);
    expect(log).toEqual(['big waits (2/2)', 'small got tm1#0']);
    log.length = 0;
    join('tm2', 2);
    expect(log).toEqual(['big got tm1#1,tm2#0,tm2#1']);
    expect(rm.slotPool.free).toBe(0);
  });

  it('released slots go to the next waiting request; a cancelled request gets none', () => {
    const log: string[] = [];
    join('tm1', 1);
    rm.requestSlots(request('a', 1, log));
    rm.requestSlots(request('b', 1, log));
    rm.requestSlots(request('c', 1, log));
    rm.cancelSlotRequest('b');
    log.length = 0;
    rm.releaseSlots('a');
    expect(log).toEqual(['c got tm1#0']);
  });

  it('a lost TaskManager takes its slots and its connection with it; the listener hears once', () => {
    const ws = join('tm1', 2);
    expect(ws.sent).toBe(1); // registered
    expect(rm.taskExecutor('tm1')?.dataAddress).toBe('ws://127.0.0.1:1/tm1');
    rm.registry.lose('tm1', 'connection closed');
    rm.registry.lose('tm1', 'connection closed');
    expect(lost).toEqual(['tm1: connection closed']);
    expect(ws.terminated).toBe(true);
    expect(rm.slotPool.total).toBe(0);
    expect(rm.taskExecutor('tm1')).toBeUndefined();
  });

  it('loses a TaskManager whose heartbeats stop, on its own timers, and keeps one that beats', () => {
    const start = clock.now();
    const ws1 = join('tm1', 1);
    join('tm2', 1);
    expect(rm.registry.get('tm1')).toMatchObject({ registeredAt: start, lastHeartbeat: start });
    for (let t = 0; t < 60_000; t += 1000) {
      clock.advance(1000);
      rm.registry.heartbeat('tm2', 7, []);
    }
    expect(lost).toEqual([]);
    expect(rm.registry.get('tm2')).toMatchObject({
      registeredAt: start,
      lastHeartbeat: start + 60_000,
      queuedBytes: 7,
    });
    clock.advance(500); // the next check, half an interval later
    expect(lost).toEqual(['tm1: no heartbeat for 60000 ms']);
    expect(ws1.terminated).toBe(true);
    expect(rm.slotPool.total).toBe(1);
    rm.close();
    clock.advance(120_000);
    expect(lost).toEqual(['tm1: no heartbeat for 60000 ms']);
  });
});
