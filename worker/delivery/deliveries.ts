/**
 * The delivery sender: the queue consumer and its recorder, on whichever thread calls this (the
 * worker runs it on its own delivery thread, worker/delivery/thread-host.ts; tests run it in
 * their own process).
 */
import type { Client } from '@temporalio/client';
import type { HubConfig } from '../../common/config';
import type { Db } from '../../common/db/connect';
import type { Logger } from '../../common/logger';
import { SecretBox } from '../../common/subscriptions/secrets';
import { DeliveryQueueConsumer } from './queue-consumer';
import { createSender } from './send-try';
import { type TryCount, TryRecorder } from './try-recorder';

export interface DeliveryWork {
  /** The last claim found more due work than there was room for: background work should wait. */
  readonly behind: boolean;
  /** Stops claiming, then waits for every try in flight to be sent and recorded. */
  stop(): Promise<void>;
}

export interface DeliveryDeps {
  db: Db;
  temporal: Client;
  config: HubConfig;
  databaseUrl: string;
  logger: Logger;
  count?: (t: TryCount) => void;
}

export function startDeliveries({ db, temporal, config, databaseUrl, logger, count }: DeliveryDeps): DeliveryWork {
  const recorder = new TryRecorder({ db, temporal, timerQueue: config.taskQueues.timers, logger, count });
  const consumer = new DeliveryQueueConsumer({ db, send: createSender(config, new SecretBox(config.secretKey)), recorder, logger, limits: config.deliveryQueue });
  consumer.start(databaseUrl);
  return {
    get behind() {
      return consumer.busy;
    },
    stop: () => consumer.stop(),
  };
}
