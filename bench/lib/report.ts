/** What a bench run prints and writes: its rows in order, and the same values by metric for the JSON. */
import { cpus } from 'node:os';

export const rows: { metric: string; value: string }[] = [];
export const results: Record<string, unknown> = { machine: { cpus: cpus().length, node: process.version }, started_at: new Date().toISOString() };

export const say = (s: string): void => console.log(`[bench] ${new Date().toISOString().slice(11, 19)} ${s}`);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function record(metric: string, value: number | string, unit = ''): void {
  rows.push({ metric, value: `${typeof value === 'number' ? (Number.isInteger(value) ? value : value.toFixed(1)) : value}${unit ? ` ${unit}` : ''}` });
  results[metric] = value;
}
