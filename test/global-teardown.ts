import { rmSync } from 'node:fs';
import type { StackProcess } from './support/stack-process';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __hubStack?: StackProcess }).__hubStack;
  await stack?.stop();
  if (process.env.TEST_DATA_DIR) rmSync(process.env.TEST_DATA_DIR, { recursive: true, force: true });
}
