/** The production entry points (worker, API) as child processes, so a test can run several or SIGKILL one for real. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface HubProcess {
  child: ChildProcess;
  /** The output line that said it was ready. */
  readyLine: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

async function spawnEntry(entry: string, readyText: string, env: Record<string, string>, timeoutMs: number): Promise<HubProcess> {
  // `node --import tsx` rather than the tsx wrapper: one process, so SIGKILL kills the hub process itself.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    // No metrics port unless the test asks for one: several processes run side by side here.
    env: { ...process.env, LOG_LEVEL: 'info', HUB_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} not ready after ${timeoutMs} ms:\n${output.slice(-3000)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
      const line = output.split('\n').find((l) => l.includes(readyText));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}:\n${output.slice(-3000)}`));
    });
  });
  return {
    child,
    readyLine,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export const spawnWorker = (env: Record<string, string>, timeoutMs = 60_000): Promise<HubProcess> => spawnEntry('worker/main.ts', 'worker running', env, timeoutMs);

/** An API replica on a free loopback port; `url` is where it listens. */
export async function spawnApi(env: Record<string, string>, timeoutMs = 60_000): Promise<HubProcess & { url: string }> {
  const api = await spawnEntry('api/main.ts', 'api listening', { PORT: '0', HOST: '127.0.0.1', ...env }, timeoutMs);
  return { ...api, url: (JSON.parse(api.readyLine) as { url: string }).url };
}
