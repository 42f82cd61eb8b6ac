/** Starts `dev/stack-cli.ts` as a child process and waits for its ready line. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export interface StackProcess {
  child: ChildProcess;
  databaseUrl: string;
  temporalAddress: string;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

export async function startStackProcess(args: string[], timeoutMs = 120_000): Promise<StackProcess> {
  const child = spawn(TSX, [path.join(ROOT, 'dev', 'stack-cli.ts'), ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8_000);
  });
  const ready = await new Promise<{ databaseUrl: string; temporalAddress: string }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`stack not ready in ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { databaseUrl: string; temporalAddress: string });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stack process exited with ${code}:\n${stderr}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    ...ready,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
