import { ManualClock } from '../testing/manual-clock';
import { HeartbeatMonitor } from './heartbeat-monitor';

describe('HeartbeatMonitor', () => {
  it('reports a target not heard from within the timeout, once', () => {
    const clock = new ManualClock();
    const timedOut: string[] = [];
    const hb = new HeartbeatMonitor(1000, 5000, (id) => timedOut.push(id), clock, clock);
    hb.monitor('tm1');
    hb.monitor('tm2');
    clock.advance(4000);
    hb.receive('tm2');
    hb.check();
    expect(timedOut).toEqual([]);
    clock.advance(1001);
    hb.check();
    expect(timedOut).toEqual(['tm1']);
    hb.check();
    expect(timedOut).toEqual(['tm1']);
    clock.advance(4000);
    hb.check();
    expect(timedOut).toEqual(['tm1', 'tm2']);
  });

  it('ignores heartbeats of targets it does not monitor', () => {
    const clock = new ManualClock();
    const timedOut: string[] = [];
    const hb = new HeartbeatMonitor(1000, 5000, (id) => timedOut.push(id), clock, clock);
    hb.receive('stranger');
    hb.monitor('tm1');
    hb.unmonitor('tm1');
    clock.advance(10_000);
    hb.check();
    expect(timedOut).toEqual([]);
  });

  it('checks on its timers twice per interval once started, until closed', () => {
    const clock = new ManualClock();
    const timedOut: string[] = [];
    const hb = new HeartbeatMonitor(1000, 5000, (id) => timedOut.push(id), clock, clock);
    hb.monitor('tm1');
    hb.monitor('tm2');
    hb.start();
    hb.start(); // a second start adds no second timer
    for (let t = 0; t < 5000; t += 500) {
      clock.advance(500);
      hb.receive('tm2');
    }
    expect(timedOut).toEqual([]);
    clock.advance(500); // the first check past tm1's deadline (5000 ms after it was last heard)
    expect(timedOut).toEqual(['tm1']);
    hb.close();
    hb.monitor('tm3');
    clock.advance(60_000);
    expect(timedOut).toEqual(['tm1']);
  });
});
