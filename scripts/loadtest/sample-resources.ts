import { readFileSync, readdirSync } from 'node:fs';
import { Redis } from 'ioredis';

export interface WatchedProcess {
  name: string;
  pid: number;
}

export interface ResourceSample {
  /** ms since the sampler started */
  t: number;
  rssMb: Record<string, number>;
  /** CPU seconds (user + system) used so far, per watched process and for every `postgres` and
   * `redis-server` process of the machine (a shared server's other users are included). */
  cpuSec?: Record<string, number>;
  redisUsedMb: number | null;
}

export interface ResourceSummary {
  samples: ResourceSample[];
  /** Highest RSS seen per process, MB. */
  peakRssMb: Record<string, number>;
  /** CPU seconds used over the samples, per process (and `postgres`, `redis-server` in total). */
  cpuSec?: Record<string, number>;
  redis: { peakUsedMb: number | null; lastUsedMb: number | null; startUsedMb: number | null };
}

export interface ResourceSampler {
  /** Samples since the last mark, summarised (a phase of a benchmark). */
  mark(): ResourceSummary;
  stop(): Promise<ResourceSummary>;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

const STATUS_FIELDS = { VmRSS: /VmRSS:\s+(\d+) kB/, VmHWM: /VmHWM:\s+(\d+) kB/ };

/**
 * Resident set size of a process in MB from /proc (Linux), now (VmRSS) or its high-water mark since
 * it started (VmHWM, which no sampling can miss); null when unreadable or gone.
 */
export function rssMbOf(pid: number, field: keyof typeof STATUS_FIELDS = 'VmRSS'): number | null {
  try {
    const m = STATUS_FIELDS[field].exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round1(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process in seconds, from /proc/<pid>/stat; null when unreadable or gone. */
export function cpuSecOf(pid: number | string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Summed CPU seconds of every process whose command is one of `names` (postgres backends). */
function cpuSecOfCommands(names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (!names.includes(comm)) continue;
    const s = cpuSecOf(pid);
    if (s !== null) out[comm] = (out[comm] ?? 0) + s;
  }
  return out;
}

async function redisUsedMb(redis: Redis): Promise<number | null> {
  try {
    const info = await redis.info('memory');
    const m = /used_memory:(\d+)/.exec(info);
    return m ? round1(Number(m[1]) / 1024 / 1024) : null;
  } catch {
    return null;
  }
}

export function summarize(samples: ResourceSample[]): ResourceSummary {
  const peakRssMb: Record<string, number> = {};
  let peakRedis: number | null = null;
  for (const s of samples) {
    for (const [name, mb] of Object.entries(s.rssMb)) peakRssMb[name] = Math.max(peakRssMb[name] ?? 0, mb);
    if (s.redisUsedMb !== null) peakRedis = Math.max(peakRedis ?? 0, s.redisUsedMb);
  }
  const withRedis = samples.filter((s) => s.redisUsedMb !== null);
  // Used between the first and the last sample that saw each process. (Backends that exited in
  // between take their CPU time with them; pooled connections live through a run.)
  const first: Record<string, number> = {};
  const last: Record<string, number> = {};
  for (const s of samples)
    for (const [name, sec] of Object.entries(s.cpuSec ?? {})) {
      first[name] ??= sec;
      last[name] = sec;
    }
  const cpuSec = Object.fromEntries(
    Object.keys(last).map((n) => [n, Math.max(0, Math.round((last[n]! - first[n]!) * 10) / 10)]),
  );
  return {
    samples,
    peakRssMb,
    cpuSec,
    redis: {
      peakUsedMb: peakRedis,
      startUsedMb: withRedis[0]?.redisUsedMb ?? null,
      lastUsedMb: withRedis.at(-1)?.redisUsedMb ?? null,
    },
  };
}

/**
 * Samples the RSS of each watched process and Redis `used_memory` every `intervalMs` (Redis memory is
 * the whole server's: other users of a shared Redis are included, so its start value is reported
 * too). `processes` is read at each tick, so processes started later can be added to the array.
 */
export function startResourceSampler(opts: {
  processes: WatchedProcess[];
  redisUrl?: string | undefined;
  intervalMs?: number;
}): ResourceSampler {
  const started = Date.now();
  const redis = opts.redisUrl
    ? new Redis(opts.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: true })
    : null;
  redis?.on('error', () => undefined);
  const all: ResourceSample[] = [];
  let markAt = 0;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const rssMb: Record<string, number> = {};
      const cpuSec: Record<string, number> = cpuSecOfCommands(['postgres', 'redis-server']);
      for (const p of opts.processes) {
        const mb = rssMbOf(p.pid);
        if (mb !== null) rssMb[p.name] = mb;
        const sec = cpuSecOf(p.pid);
        if (sec !== null) cpuSec[p.name] = sec;
      }
      all.push({
        t: Date.now() - started,
        rssMb,
        cpuSec,
        redisUsedMb: redis ? await redisUsedMb(redis) : null,
      });
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), opts.intervalMs ?? 1_000);
  timer.unref();
  return {
    mark() {
      const out = summarize(all.slice(markAt));
      markAt = all.length;
      return out;
    },
    async stop() {
      clearInterval(timer);
      await tick();
      redis?.disconnect();
      return summarize(all);
    },
  };
}
