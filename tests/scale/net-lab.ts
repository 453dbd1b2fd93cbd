import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';

/** One simulated host: a network namespace with its own address on the lab's bridge. */
export interface LabHost {
  name: string;
  netns: string;
  ip: string;
}

/**
 * A small lab network on this machine (needs root and iproute2): a Linux bridge in the root
 * namespace, and one network namespace per host joined to it by a veth pair. Each host has only its
 * own address and loopback, so a process in it reaches the others only over the bridge, the way
 * separate machines would. Names carry a random tag, so parallel runs do not meet.
 */
export interface NetLab {
  /** The root namespace's address on the bridge (where the lab's Redis and PostgreSQL listen). */
  gatewayIp: string;
  /** The lab subnet, `10.x.y.0/24`. */
  cidr: string;
  hosts: Record<string, LabHost>;
  /** Starts a command inside a host's namespace (`ip netns exec`, which execs: the pid is the command's). */
  spawn(host: string, command: string, args: string[], opts?: SpawnOptions): ChildProcess;
  /** Runs a short command inside a host's namespace and returns its stdout. */
  exec(host: string, command: string, args: string[]): string;
  /** Kills whatever still runs in the namespaces, then deletes them and the bridge. Never throws. */
  close(): Promise<void>;
}

function ip(...args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** A 10.x.y.0/24 that no interface or route of this machine uses yet. */
function freeSubnet(): string {
  const used = `${ip('-4', '-o', 'addr', 'show')}\n${ip('-4', 'route', 'show', 'table', 'all')}`;
  for (let i = 0; i < 50; i++) {
    const prefix = `10.${200 + randomInt(50)}.${randomInt(256)}`;
    if (!used.includes(`${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.x.y.0/24 subnet for the lab network');
}

export function ipAvailable(): boolean {
  try {
    ip('-V');
    return true;
  } catch {
    return false;
  }
}

export async function createNetLab(hostNames: string[]): Promise<NetLab> {
  if (!ipAvailable()) throw new Error('`ip` (iproute2) not found: apt-get install iproute2');
  if (process.getuid?.() !== 0) throw new Error('the network lab creates namespaces: run as root');
  const tag = randomBytes(3).toString('hex');
  const bridge = `bdbr${tag}`; // interface names are at most 15 characters
  const prefix = freeSubnet();
  const hosts: Record<string, LabHost> = {};
  const made: { netns: string[]; bridge: boolean } = { netns: [], bridge: false };

  const close = async (): Promise<void> => {
    for (const netns of made.netns) {
      await killAllIn(netns);
      try {
        ip('netns', 'del', netns); // takes the veth pair with it
      } catch {
        // already gone
      }
    }
    if (made.bridge) {
      try {
        ip('link', 'del', bridge);
      } catch {
        // already gone
      }
    }
  };

  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    made.bridge = true;
    ip('addr', 'add', `${prefix}.1/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    hostNames.forEach((name, i) => {
      const netns = `bd-${tag}-${name}`;
      const outside = `bdv${tag}${i}`;
      const inside = `bdp${tag}${i}`;
      const hostIp = `${prefix}.${10 + i}`;
      ip('netns', 'add', netns);
      made.netns.push(netns);
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
      ip('link', 'set', inside, 'netns', netns);
      ip('link', 'set', outside, 'master', bridge);
      ip('link', 'set', outside, 'up');
      ip('-n', netns, 'addr', 'add', `${hostIp}/24`, 'dev', inside);
      ip('-n', netns, 'link', 'set', inside, 'up');
      ip('-n', netns, 'link', 'set', 'lo', 'up');
      hosts[name] = { name, netns, ip: hostIp };
    });
  } catch (err) {
    await close();
    throw err;
  }

  return {
    gatewayIp: `${prefix}.1`,
    cidr: `${prefix}.0/24`,
    hosts,
    spawn(host, command, args, opts = {}) {
      const h = hosts[host];
      if (!h) throw new Error(`no lab host ${host}`);
      return spawn('ip', ['netns', 'exec', h.netns, command, ...args], opts);
    },
    exec(host, command, args) {
      const h = hosts[host];
      if (!h) throw new Error(`no lab host ${host}`);
      return ip('netns', 'exec', h.netns, command, ...args);
    },
    close,
  };
}

/** SIGKILLs the processes left in a namespace (only this lab's processes can be in it). */
async function killAllIn(netns: string): Promise<void> {
  for (let round = 0; round < 20; round++) {
    let pids: number[];
    try {
      pids = ip('netns', 'pids', netns).split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return;
    }
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
