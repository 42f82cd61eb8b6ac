/**
 * Runs the delivery sender on its own thread, at a lower OS priority (HUB_DELIVERY_NICE).
 *
 * Webhook tries are many and cheap one by one, and an outage of one tenant's receivers turns
 * them into hundreds of failing tries a second. On the worker's main thread they queued every
 * stop's and route's move (local activities share that event loop) behind them; on their own
 * thread, niced, the kernel runs moves first whenever both want the CPU, and webhooks take
 * what is left. The thread has its own Postgres pool and Temporal client; its try counts come
 * back to this process's metrics.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../common/logger';
import type { DeliveryWork } from './deliveries';
import { countTry, type TryCount } from './try-recorder';

export interface DeliveryThreadData {
  databaseUrl: string;
  temporalAddress: string;
}

export type ToDeliveryThread = { type: 'stop' };
export type FromDeliveryThread = { type: 'behind'; behind: boolean } | { type: 'tries'; tries: TryCount[] } | { type: 'stopped' };

/**
 * Built, the thread runs the .js beside this file. Run from source (tsx), it runs the .ts, and
 * registers tsx itself first: a loader given to the process with --import does not reach threads.
 */
function threadEntry(): { file: string; eval: boolean } {
  const file = path.join(__dirname, `thread${path.extname(__filename)}`);
  if (file.endsWith('.js')) return { file, eval: false };
  return { file: `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`, eval: true };
}

/**
 * `onFailure`: the thread died on its own. The caller ends the process; leased deliveries are
 * taken again when their leases run out, as after any crash.
 */
export function startDeliveryThread(data: DeliveryThreadData, logger: Logger, onFailure: (err: Error) => void): DeliveryWork {
  const entry = threadEntry();
  const thread = new Worker(entry.file, { eval: entry.eval, workerData: data, name: 'deliveries' });
  let behind = false;
  let stopping = false;
  thread.on('message', (m: FromDeliveryThread) => {
    if (m.type === 'behind') behind = m.behind;
    else if (m.type === 'tries') m.tries.forEach(countTry);
    // Everything is sent and recorded; nothing the thread still holds open matters now.
    else if (m.type === 'stopped') void thread.terminate();
  });
  // 'exit' follows 'error' too: failures are reported once, from there, unless we asked it to stop.
  let failure: Error | undefined;
  thread.on('error', (err) => {
    failure = err;
    logger.error({ err }, 'delivery thread failed');
  });
  thread.on('exit', (code) => {
    if (stopping) return;
    const err = failure ?? new Error(`delivery thread exited (code ${code})`);
    if (!failure) logger.error({ code }, 'delivery thread exited');
    onFailure(err);
  });
  return {
    get behind() {
      return behind;
    },
    stop: async () => {
      if (stopping) return;
      stopping = true;
      // Only 'exit': an 'error' while stopping is logged above and must not make stop() throw.
      const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      thread.postMessage({ type: 'stop' } satisfies ToDeliveryThread);
      await exited;
    },
  };
}
