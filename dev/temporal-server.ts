/**
 * The Temporal dev server (`temporal server start-dev`), persisted to a SQLite file so that
 * workflows survive restarts, with the Web UI on its own port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_FLAGS } from '../common/temporal/search-attributes';
import { killStale, waitFor } from './processes';

export interface DevServerHandle {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(opts: {
  cliPath: string;
  dataDir: string;
  port: number;
  uiPort?: number;
  /** Without a UI (tests). */
  headless?: boolean;
  log?: (line: string) => void;
}): Promise<DevServerHandle> {
  mkdirSync(opts.dataDir, { recursive: true });
  const pidFile = path.join(opts.dataDir, 'temporal.pid');
  // A dev server orphaned by a SIGKILLed parent still owns the port and the SQLite file.
  if (existsSync(pidFile)) {
    await killStale(Number.parseInt(readFileSync(pidFile, 'utf8'), 10), 'SIGTERM');
    rmSync(pidFile, { force: true });
  }
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    path.join(opts.dataDir, 'temporal.sqlite'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--log-level',
    'warn',
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    ...SEARCH_ATTRIBUTE_FLAGS.flatMap((sa) => ['--search-attribute', sa]),
    // Tenants take turns on each task queue (common/temporal/fair-share.ts).
    '--dynamic-config-value',
    'matching.enableFairness=true',
  ];
  if (opts.headless) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort ?? opts.port + 1000));

  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  writeFileSync(pidFile, String(child.pid));
  const log = opts.log ?? (() => undefined);
  child.stdout?.on('data', (d: Buffer) => log(d.toString().trim()));
  child.stderr?.on('data', (d: Buffer) => log(d.toString().trim()));
  let exited = false;
  // Whatever way this process ends (Ctrl-C, an exit hook, a crash), the dev server goes with it;
  // only a SIGKILL leaves it behind, and the pid file handles that at the next start.
  const killOnExit = (): void => {
    if (!exited) child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => {
    exited = true;
    process.removeListener('exit', killOnExit);
  });

  const address = `127.0.0.1:${opts.port}`;
  await waitFor(
    'temporal dev server',
    async () => {
      if (exited) throw new Error('temporal dev server exited during start');
      const conn = await Connection.connect({ address, connectTimeout: '1s' });
      try {
        await conn.workflowService.getSystemInfo({});
        return true;
      } finally {
        await conn.close();
      }
    },
    60_000,
  );

  return {
    address,
    uiUrl: opts.headless ? undefined : `http://localhost:${opts.uiPort ?? opts.port + 1000}`,
    process: child,
    stop: async () => {
      if (!exited && child.pid) await killStale(child.pid, 'SIGTERM');
      rmSync(pidFile, { force: true });
    },
  };
}
