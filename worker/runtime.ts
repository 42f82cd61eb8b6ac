/** Routes the Temporal SDK's own log lines into the hub's JSON logger. Install once per process. */
import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';
import type { Logger } from '../common/logger';

let installed = false;

const LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  const level = LEVELS[logger.level] ?? 'WARN';
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const fields = { ...entry.meta, sdk: true };
      const method = entry.level === 'TRACE' ? 'trace' : (entry.level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
      logger[method](fields, entry.message);
    }),
  });
}
