/** The delivery thread's entry (started by worker/delivery/thread-host.ts). */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../../common/config';
import { connectDatabase } from '../../common/db/connect';
import { createLogger } from '../../common/logger';
import { connectClient } from '../../common/temporal/connection';
import { startDeliveries } from './deliveries';
import type { DeliveryThreadData, FromDeliveryThread, ToDeliveryThread } from './thread-host';
import type { TryCount } from './try-recorder';

/** Connections of the thread's own pool: one claim and one record batch at a time, plus the odd cancel or subscription stop. */
const POOL_SIZE = 4;
/** How often counts and the queue's state go to the main thread. */
const REPORT_EVERY_MS = 250;

async function main(): Promise<void> {
  const port = parentPort!;
  const { databaseUrl, temporalAddress } = workerData as DeliveryThreadData;
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'dispatch-hub-deliveries');
  const send = (m: FromDeliveryThread): void => port.postMessage(m);
  try {
    // On Linux a nice value is per thread: this lowers only the delivery thread.
    setPriority(config.deliveryQueue.nice);
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'delivery thread priority not lowered');
  }
  const database = connectDatabase(databaseUrl, { poolSize: POOL_SIZE, logger });
  const temporal = await connectClient({ ...config.temporal, address: temporalAddress }, { native: false });
  const counted: TryCount[] = [];
  const work = startDeliveries({ db: database.db, temporal, config, databaseUrl, logger, count: (t) => counted.push(t) });
  let behind = false;
  const report = (): void => {
    if (counted.length) send({ type: 'tries', tries: counted.splice(0) });
    if (work.behind !== behind) send({ type: 'behind', behind: (behind = work.behind) });
  };
  const reporting = setInterval(report, REPORT_EVERY_MS);
  port.on('message', (m: ToDeliveryThread) => {
    if (m.type !== 'stop') return;
    void (async () => {
      try {
        await work.stop();
        clearInterval(reporting);
        report();
        await temporal.connection.close();
        await database.close();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'delivery thread did not stop cleanly');
      } finally {
        send({ type: 'stopped' });
      }
    })();
  });
}

void main().catch((err: unknown) => {
  // Thrown here, it reaches the host's 'error' handler and ends the process.
  setImmediate(() => {
    throw err;
  });
});
