import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetLab } from './net-lab';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A service process running on a lab host, with the tail of its stderr for failure messages. */
export interface LabProcess {
  name: string;
  child: ChildProcess;
  stderrTail(): string;
  stop(): Promise<void>;
}

/** Starts `entry` (a TypeScript main file) with tsx inside a lab host's namespace. */
export function startOnHost(lab: NetLab, host: string, entry: string, env: NodeJS.ProcessEnv): LabProcess {
  const child = lab.spawn(host, process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-4000);
  });
  return {
    name: `${entry} on ${host}`,
    child,
    stderrTail: () => tail,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Waits until `url` answers 2xx; fails early, with the process's stderr, if it exits first. */
export async function waitHttp(url: string, proc: LabProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) {
      throw new Error(`${proc.name} exited with ${proc.child.exitCode}:\n${proc.stderrTail()}`);
    }
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${proc.name}: ${url} not ready within ${timeoutMs} ms:\n${proc.stderrTail()}`);
}
