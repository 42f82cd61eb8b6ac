/**
 * The fast tier (`npm run test:unit`): pure rules and workflows with mocked activities on the
 * time-skipping test server; no Postgres, no Temporal server, no global setup.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/unit'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testTimeout: 30_000,
};
