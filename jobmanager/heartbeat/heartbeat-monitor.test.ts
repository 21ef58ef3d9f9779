import { ManualClock } from '../testing/manual-clock';
import { HeartbeatMonitor } from './heartbeat-monitor';

describe('HeartbeatMonitor', () => {
  it('reports a target not heard from within the timeout, once', () => {
    const clock = new ManualClock();
    const timedOut: string[] = [];
    const hb = new HeartbeatMonitor(1000, 5000, (id) => timedOut.push(id), clock);
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
    const hb = new HeartbeatMonitor(1000, 5000, (id) => timedOut.push(id), clock);
    hb.receive('stranger');
    hb.monitor('tm1');
    hb.unmonitor('tm1');
    clock.advance(10_000);
    hb.check();
    expect(timedOut).toEqual([]);
  });
});
