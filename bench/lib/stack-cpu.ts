/** CPU each process of the stack used over a phase: the API, the workers, Temporal and every Postgres backend. */
import { readdirSync, readFileSync } from 'node:fs';
import type { Harness } from './harness';
import { cpuMeter } from './process-stats';
import { record } from './report';

export interface StackCpu {
  api: number;
  worker: number;
  temporal: number;
  postgres: number;
}

/** Every postgres process of the embedded server (it forks one per connection). */
function postgresPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Starts counting; the returned function gives the CPU seconds used since, per part of the stack. */
export function stackCpu(h: Harness): () => StackCpu {
  const pg = postgresPids();
  const meter = cpuMeter({
    api: h.api.child.pid,
    temporal: h.temporalPid(),
    ...Object.fromEntries(h.workers().map((w, i) => [`worker${i}`, w.child.pid])),
    ...Object.fromEntries(pg.map((pid) => [`pg${pid}`, pid])),
  });
  const sum = (used: Record<string, number>, prefix: string) => Object.entries(used).filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
  return () => {
    const used = meter();
    return { api: used.api!, worker: sum(used, 'worker'), temporal: used.temporal!, postgres: sum(used, 'pg') };
  };
}

/** One row: CPU milliseconds per `unit` (a delivery, a stop's life) of each part of the stack. */
export function recordCpu(label: string, used: StackCpu, count: number, unit = 'delivery'): void {
  const per = (s: number) => `${((s / Math.max(1, count)) * 1000).toFixed(2)} ms`;
  record(`${label}: CPU per ${unit} api / worker / temporal / postgres`, `${per(used.api)} / ${per(used.worker)} / ${per(used.temporal)} / ${per(used.postgres)}`);
}
