/**
 * Routes the Temporal SDK's own log lines into the hub's JSON logger (and can export its metrics).
 * Install once per process that opens a native connection (the API and the worker), before it;
 * otherwise the SDK's default runtime logs plain text and takes over SIGINT, SIGTERM, SIGQUIT
 * and SIGUSR2. Imported from the SDK's own modules, not its index: the index loads the workflow
 * bundler (webpack), which the API never needs.
 */
import { DefaultLogger, type LogLevel } from '@temporalio/worker/lib/logger';
import { Runtime } from '@temporalio/worker/lib/runtime';
import type { Logger } from '../logger';

let installed = false;

const LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

/** `prometheusAddress`: where the SDK serves its own worker metrics (see worker/metrics-server.ts). */
export function installTemporalRuntime(logger: Logger, opts: { prometheusAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  const level = LEVELS[logger.level] ?? 'WARN';
  Runtime.install({
    ...(opts.prometheusAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: opts.prometheusAddress, countersTotalSuffix: true, useSecondsForDurations: true } } } } : {}),
    logger: new DefaultLogger(level, (entry) => {
      const fields = { ...entry.meta, sdk: true };
      const method = entry.level === 'TRACE' ? 'trace' : (entry.level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
      logger[method](fields, entry.message);
    }),
  });
}
