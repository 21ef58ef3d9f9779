/**
 * The faults of the chaos run, one at a time. Each returns when it has been done (a pause: when the
 * process runs again), with what it did and when it ended: recovery is timed from that end.
 */
import { execFileSync } from 'node:child_process';
import type { Broker } from './kafka';
import type { ChaosCluster, Member, Tmpfs } from './cluster';

export const FAULT_KINDS = ['tm-kill', 'jm-kill', 'pause', 'cut', 'broker-pause', 'disk-full'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  n: number;
  kind: FaultKind;
  detail: string;
  start: number;
  /** When the fault was lifted (a kill or a cut: when it was done). */
  end: number;
}

export interface FaultContext {
  cluster: ChaosCluster;
  broker: Broker;
  tmpfs: Tmpfs | undefined;
  /** Seeded, in [0, 1). */
  rand: () => number;
  /** May jm-kill be combined with another fault (disk-full)? */
  kinds: ReadonlySet<FaultKind>;
  say: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
function shuffled<T>(rand: () => number, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
/** A whole number of ms in [lo, hi]. */
const between = (rand: () => number, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

export async function inject(kind: FaultKind, c: FaultContext): Promise<Omit<Fault, 'n'>> {
  const start = Date.now();
  const detail = await FAULTS[kind](c);
  return { kind, detail, start, end: Date.now() };
}

const FAULTS: Record<FaultKind, (c: FaultContext) => Promise<string>> = {
  'tm-kill': async ({ cluster, rand }) => {
    const victim = pick(rand, cluster.liveTaskManagers());
    await cluster.killHard(victim);
    const fresh = await cluster.startTaskManager();
    return `SIGKILL ${victim.name}, started ${fresh.name}`;
  },

  'jm-kill': async (c) => killActiveJobManager(c),

  pause: async ({ cluster, rand }) => {
    const active = await cluster.active();
    const victim: Member = rand() < 0.5 && active ? active.member : pick(rand, cluster.liveTaskManagers());
    const ms = between(rand, 1000, 6000);
    cluster.pause(victim.pid);
    await sleep(ms);
    cluster.resume(victim.pid);
    return `SIGSTOP ${victim.name}${active?.member === victim ? ' (active JM)' : ''} for ${ms} ms`;
  },

  cut: async ({ cluster, rand }) => {
    // ss -K (root, a kernel with SOCK_DESTROY) aborts live TCP connections: here every connection to
    // one TaskManager's data port, i.e. the TM↔TM data connections into it.
    for (const tm of shuffled(rand, cluster.liveTaskManagers())) {
      const out = execFileSync('ss', ['-K', '-t', '-n', 'dst', '127.0.0.1', 'dport', '=', String(tm.port)], {
        encoding: 'utf8',
      });
      const cut = out.split('\n').filter((l) => /^ESTAB/.test(l.trim())).length;
      if (cut > 0) return `ss -K: ${cut} connection(s) to ${tm.name}'s data port`;
    }
    return 'no TM↔TM connection to cut (every consumer in the same TaskManager?)';
  },

  'broker-pause': async ({ broker, rand }) => {
    const ms = between(rand, 2000, 8000);
    const pid = broker.pid;
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(ms);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    return `SIGSTOP the Kafka broker for ${ms} ms`;
  },

  'disk-full': async (c) => {
    const { tmpfs, rand, kinds } = c;
    if (!tmpfs) throw new Error('disk-full without a tmpfs');
    const ms = between(rand, 2000, 8000);
    const bytes = tmpfs.fill();
    let also = '';
    try {
      // A JobManager taking over on a full disk is a case of its own.
      if (kinds.has('jm-kill') && rand() < 0.5) {
        await sleep(ms / 2);
        also = `; meanwhile ${await killActiveJobManager(c)}`;
        await sleep(ms / 2);
      } else {
        await sleep(ms);
      }
    } finally {
      tmpfs.free();
    }
    return `data dir full (filler ${(bytes / 2 ** 20).toFixed(1)} MiB) for ${ms} ms${also}`;
  },
};

async function killActiveJobManager({ cluster, rand }: FaultContext): Promise<string> {
  const active = await cluster.active();
  const victim = active?.member ?? pick(rand, cluster.liveJobManagers());
  if (!victim) return 'no JobManager alive to kill';
  await cluster.killHard(victim);
  const fresh = cluster.startJobManager(victim.port);
  return `SIGKILL ${victim.name}${active ? ' (active)' : ' (none answered: a live one)'}, started ${fresh.name} as a standby`;
}
