/**
 * The keyed process function of jobs/quiet-sensors/job.ts (functions.js has the job file's twin).
 * Each reading's time is kept in list state with an event-time timer 10 s later; when the
 * watermark passes that timer, every reading up to it has arrived (bounded out-of-orderness), so
 * "no reading in the 10 s after this one" is decided the same way however the input is timed.
 */
import type { KeyedProcessFunction } from 'flinkx';

export interface Reading {
  sensor: string;
  ts: number;
  temp: number;
}
export interface Alert {
  sensor: string;
  lastSeen: number;
  quietAt: number;
}

const QUIET_MS = 10_000;

/** Alerts when a sensor has sent nothing for 10 s of event time. */
export const quietSensors: KeyedProcessFunction<string, Reading, Alert> = {
  processElement(_reading, ctx) {
    ctx.listState<number>('times').add(ctx.timestamp!);
    ctx.registerEventTimeTimer(ctx.timestamp! + QUIET_MS);
  },
  onTimer(timestamp, ctx) {
    const since = timestamp - QUIET_MS;
    const times = ctx.listState<number>('times');
    const later = times.get().filter((t) => t > since);
    times.update(later);
    if (!later.some((t) => t <= timestamp)) ctx.emit({ sensor: ctx.key, lastSeen: since, quietAt: timestamp });
  },
};
