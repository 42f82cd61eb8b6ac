/**
 * Runs parts of the embedded stack as a separate process and prints one JSON line when they
 * are ready: `{"ready":true,"databaseUrl":…,"temporalAddress":…}`. The test suite starts its
 * services this way (and tests that stop Postgres on purpose use it for a second one). It stops
 * on SIGINT/SIGTERM, or when its parent goes away (stdin closes).
 *
 *   tsx dev/stack-cli.ts --data-dir DIR [--pg-port N] [--temporal-port N] [--headless]
 */
import { runMain } from '../common/entry-point';
import { parseArgs } from 'node:util';
import { startEmbeddedStack } from './stack';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      'pg-port': { type: 'string' },
      'temporal-port': { type: 'string' },
      headless: { type: 'boolean', default: false },
    },
  });
  if (!values['data-dir']) throw new Error('--data-dir is required');
  const num = (v?: string): number | undefined => (v === undefined ? undefined : Number.parseInt(v, 10));
  const stack = await startEmbeddedStack({
    dataDir: values['data-dir'],
    pgPort: num(values['pg-port']),
    temporalPort: num(values['temporal-port']),
    headless: values.headless,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(`${JSON.stringify({ ready: true, ...stack.endpoints })}\n`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
}

runMain(main);
