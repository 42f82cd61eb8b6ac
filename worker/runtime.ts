/** Routes the Temporal SDK's own log lines into the hub's JSON logger (and can export its metrics). Install once per process. */
import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';
import type { Logger } from '../common/logger';

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
