/** Aligned tables and human figures for the terminal. */
import type { JobDetails, JobSummary } from './client';

export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function rate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M/s`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k/s`;
  return `${Math.round(n)}/s`;
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

export function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** `checkpoints: latest 7 (2.1s ago, 12.0 KiB), 7 completed, 1 failed`, or why there is none. */
export function checkpointLine(job: JobDetails, now = Date.now()): string {
  if (!job.checkpointing) return 'checkpointing off';
  const c = job.checkpoints;
  const every = `${job.checkpointing.mode} every ${duration(job.checkpointing.interval)}`;
  if (!c || c.latestCompleted === null)
    return `checkpoints: none completed yet (${every}${c?.failed ? `, ${c.failed} failed` : ''})`;
  const age = c.latestCompletedAt ? `${duration(Math.max(0, now - c.latestCompletedAt))} ago, ` : '';
  const size = bytes(c.latestCompletedSize ?? 0);
  return `checkpoints: latest ${c.latestCompleted} (${age}${size}), ${c.completed} completed${c.failed ? `, ${c.failed} failed` : ''} (${every})`;
}

/** `2026-01-01T00:00:05.000Z (lag 3.2s)`, or `-` before the vertex's first watermark. */
export function watermarkCell(watermark: number | undefined, lag: number | undefined): string {
  if (watermark === undefined) return '-';
  // A negative lag is event time ahead of the JobManager's clock (clock skew, or future timestamps).
  const behind = lag === undefined ? '' : lag >= 0 ? ` (lag ${duration(lag)})` : ` (ahead ${duration(-lag)})`;
  return `${new Date(watermark).toISOString()}${behind}`;
}

export function jobsTable(jobs: JobSummary[]): string {
  if (jobs.length === 0) return 'no jobs';
  return table(
    ['JOB ID', 'NAME', 'STATE', 'PARALLELISM', 'RESTARTS', 'DURATION'],
    jobs.map((j) => [j.id, j.name, j.state, j.parallelism, j.restarts, duration(j.duration)]),
  );
}

function stateCounts(states: string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

export function jobStatus(job: JobDetails): string {
  const lines = [
    `Job ${job.id} (${job.name}): ${job.state}${job.reason ? ` (${job.reason})` : ''}`,
    `  attempt ${job.attempt}, restarts ${job.restarts}, running for ${duration(job.duration)}`,
    `  ${checkpointLine(job)}`,
    '',
    table(
      ['VERTEX', 'PARALLELISM', 'SUBTASKS', 'RECORDS IN', 'RECORDS OUT', 'IN RATE', 'BACK-PRESSURE', 'WATERMARK'],
      job.vertices.map((v) => [
        v.name,
        v.parallelism,
        stateCounts(v.subtasks.map((s) => s.state)),
        v.recordsIn,
        v.recordsOut,
        rate(v.recordsInPerSecond),
        `${(v.backPressuredMs / 1000).toFixed(1)}s`,
        watermarkCell(v.watermark, v.watermarkLag),
      ]),
    ),
    '',
    table(
      ['SUBTASK', 'STATE', 'TASKMANAGER', 'SLOT', 'RECORDS IN', 'RECORDS OUT'],
      job.vertices.flatMap((v) =>
        v.subtasks.map((s) => [
          `${v.id}[${s.index}]`,
          s.state,
          s.tm ?? '-',
          s.slot ?? '-',
          s.metrics?.recordsIn ?? 0,
          s.metrics?.recordsOut ?? 0,
        ]),
      ),
    ),
  ];
  if (job.failure) lines.push('', `Failure: ${job.failure.message}`, ...(job.failure.stack ? [job.failure.stack] : []));
  else if (job.exceptions.length > 0) {
    const last = job.exceptions[job.exceptions.length - 1];
    lines.push('', `Last exception (attempt ${last.attempt}${last.task ? `, ${last.task}` : ''}): ${last.message}`);
  }
  return lines.join('\n');
}
