/**
 * Both OpenAPI documents, as the API serves them, pass Redocly CLI's recommended rules with no
 * error and no warning (redocly.yaml says why for any rule switched off).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildV1Document } from '../api/openapi';
import { buildPartnerDocument } from '../api/partner/operations';

const ROOT = path.resolve(__dirname, '..');

test.each([
  ['v1', buildV1Document],
  ['partner', buildPartnerDocument],
])('Redocly lints the %s document clean', async (name, build) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'openapi-lint-'));
  try {
    const file = path.join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(build()));
    const { stdout } = await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'redocly'), ['lint', file, '--config', path.join(ROOT, 'redocly.yaml'), '--format', 'json'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
