/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fast tier has its own config (jest.unit.config.js) and runs first in `npm test`.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 60_000,
  // Tests share one Postgres and one Temporal server; files run one at a time (--runInBand).
  maxWorkers: 1,
  // Pooled keep-alive sockets of the webhook client may outlive a test file by a few seconds;
  // CI must never hang on them.
  forceExit: true,
};
