/** Structured JSON logs. Secrets never reach a log line: the redact list strips them. */
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'secret',
  '*.secret',
  'api_key',
  '*.api_key',
  'password',
  '*.password',
  'databaseUrl',
];

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'dispatch-hub'): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
