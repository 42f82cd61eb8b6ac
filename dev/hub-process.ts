/**
 * A hub process (API or worker) run from its production entry point, as production runs it:
 * compiled (`npm run build` first), with the prebuilt workflow bundle. Bench, drills and
 * `npm run cluster` start their processes this way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

export interface HubProcess {
  name: string;
  child: ChildProcess;
  /** Peak resident memory so far (VmHWM), in MB. */
  peakRssMb(): number;
  /** The last 50 KB of what it printed. */
  readonly log: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnHubProcess(name: string, entry: string, env: Record<string, string>, nodeFlags: readonly string[] = []): HubProcess {
  // BENCH_CPU_PROFILE=<dir>: the process writes a V8 CPU profile there when it stops (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(process.env.BENCH_CPU_PROFILE)] : [];
  const child = spawn(process.execPath, [...profile, ...nodeFlags, path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-50_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let peak = 0;
  return {
    name,
    child,
    peakRssMb: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peak = Math.max(peak, kb / 1024);
      } catch {
        // the process is gone: keep the last reading
      }
      return Math.round(peak);
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    get log() {
      return log;
    },
  } as HubProcess;
}
