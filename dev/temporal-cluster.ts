/**
 * A real Temporal server (not the dev server) for `npm run cluster`: built once from the Go
 * module proxy into `.tools/temporal-server/` (with Temporal's SQL tool and its schema files),
 * persisting to PostgreSQL (history and visibility), its schemas set up by that SQL tool, the
 * default namespace and the hub's search attributes registered; and the Temporal UI server,
 * built the same way, when it is there.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { registerSearchAttributes } from '../common/temporal/connection';
import { waitFor } from './processes';
import { PROJECT_ROOT } from './tools';

/** The server version built and run; v1.28.1 and v1.32.x were both seen to build and run the hub. */
export const TEMPORAL_SERVER_VERSION = 'v1.28.1';
const UI_SERVER_VERSION = 'v2.34.0';
const SERVER_DIR = path.join(PROJECT_ROOT, '.tools', 'temporal-server');
const UI_DIR = path.join(PROJECT_ROOT, '.tools', 'temporal-ui');
/** Fixed when the cluster's database is created: every workflow id hashes to one of these. */
export const HISTORY_SHARDS = 4;
const RETENTION_DAYS = 7;

function goInstall(module: string, gobin: string, log: (l: string) => void): void {
  const started = Date.now();
  log(`building ${module} from the Go module proxy (once; a few minutes) ...`);
  const r = spawnSync('go', ['install', module], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, GOBIN: gobin, GOFLAGS: '-buildvcs=false' } });
  if (r.status !== 0) throw new Error(`go install ${module} failed`);
  log(`built ${module} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/**
 * The UI server's module has `replace` directives, which `go install pkg@version` refuses: its
 * source is downloaded from the module proxy and built in a scratch copy instead.
 */
function buildUiServer(out: string, log: (l: string) => void): void {
  const started = Date.now();
  log(`building the Temporal UI server ${UI_SERVER_VERSION} from the Go module proxy (once) ...`);
  const dl = spawnSync('go', ['mod', 'download', '-json', `github.com/temporalio/ui-server/v2@${UI_SERVER_VERSION}`], { encoding: 'utf8' });
  if (dl.status !== 0) throw new Error('go mod download failed');
  const src = path.join(UI_DIR, 'src');
  rmSync(src, { recursive: true, force: true });
  cpSync((JSON.parse(dl.stdout) as { Dir: string }).Dir, src, { recursive: true });
  spawnSync('chmod', ['-R', 'u+w', src]);
  const r = spawnSync('go', ['build', '-o', out, './cmd/server'], { cwd: src, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, GOFLAGS: '-buildvcs=false' } });
  rmSync(src, { recursive: true, force: true });
  if (r.status !== 0) throw new Error('go build failed');
  log(`built the Temporal UI server in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** The server, the SQL tool and the schema files; built on first use, reused after. */
export function ensureTemporalServer(log: (l: string) => void): { server: string; sqlTool: string; schemaDir: string; ui?: string } {
  const server = path.join(SERVER_DIR, 'server');
  const sqlTool = path.join(SERVER_DIR, 'sql');
  const schemaDir = path.join(SERVER_DIR, 'schema');
  if (!existsSync(server)) goInstall(`go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, SERVER_DIR, log);
  if (!existsSync(sqlTool)) goInstall(`go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`, SERVER_DIR, log);
  if (!existsSync(schemaDir)) {
    const modCache = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).stdout.trim();
    cpSync(path.join(modCache, `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`, 'schema'), schemaDir, { recursive: true });
  }
  const ui = path.join(UI_DIR, 'server');
  if (!existsSync(ui) && process.env.HUB_CLUSTER_UI !== '0') {
    try {
      buildUiServer(ui, log);
    } catch (err) {
      log(`the Temporal UI server did not build (${(err as Error).message}); the cluster runs without the UI`);
    }
  }
  return { server, sqlTool, schemaDir, ui: existsSync(ui) ? ui : undefined };
}

export interface ClusterPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** Creates (if missing) and migrates Temporal's two databases with Temporal's own SQL tool. */
export function setupTemporalSchemas(sqlTool: string, schemaDir: string, pg: ClusterPostgres, log: (l: string) => void): void {
  for (const [db, dir] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
    const base = ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--pw', pg.password, '--db', db];
    const run = (args: string[], mayFail = false) => {
      const r = spawnSync(sqlTool, [...base, ...args], { encoding: 'utf8' });
      if (r.status !== 0 && !mayFail) throw new Error(`temporal-sql-tool ${args[0]} ${db} failed: ${r.stderr.slice(-500)}`);
      return r.status === 0;
    };
    // create-database and setup-schema fail harmlessly when done before; update-schema moves on.
    run(['create-database'], true);
    if (run(['setup-schema', '-v', '0.0'], true)) log(`schema ${db} created`);
    run(['update-schema', '-d', path.join(schemaDir, 'postgresql', 'v12', dir, 'versioned')]);
  }
}

export interface ClusterPorts {
  frontend: number;
  history: number;
  matching: number;
  worker: number;
  ui: number;
}

function writeServerConfig(dir: string, pg: ClusterPostgres, ports: ClusterPorts): void {
  mkdirSync(path.join(dir, 'config', 'dynamicconfig'), { recursive: true });
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: "postgres12"
        databaseName: "${database}"
        connectAddr: "${pg.host}:${pg.port}"
        connectProtocol: "tcp"
        user: "${pg.user}"
        password: "${pg.password}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const service = (grpc: number) => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${grpc + 100}
      bindOnLocalHost: true`;
  writeFileSync(
    path.join(dir, 'config', 'cluster.yaml'),
    `# Written by dev/temporal-cluster.ts for \`npm run cluster\`.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${HISTORY_SHARDS}
  datastores:
    default:${store('temporal', 20)}
    visibility:${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
services:
  frontend:${service(ports.frontend)}
      httpPort: ${ports.frontend + 10}
  history:${service(ports.history)}
  matching:${service(ports.matching)}
  worker:${service(ports.worker)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${ports.frontend}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: "${path.join(dir, 'config', 'dynamicconfig', 'cluster.yaml')}"
  pollInterval: "10s"
`,
  );
  writeFileSync(
    path.join(dir, 'config', 'dynamicconfig', 'cluster.yaml'),
    `# Workflow Updates (every stop move) and Update-with-Start (a stop's first move).
frontend.enableUpdateWorkflowExecution:
  - value: true
frontend.enableUpdateWorkflowExecutionAsyncAccepted:
  - value: true
# Tenants take turns on each task queue (common/temporal/fair-share.ts).
matching.enableFairness:
  - value: true
`,
  );
}

export interface RunningTemporalCluster {
  address: string;
  uiUrl?: string;
  server: ChildProcess;
  ui?: ChildProcess;
  /** Restarts the server process (the drill does; data stays in Postgres). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const stopChild = (child: ChildProcess | undefined): Promise<void> =>
  new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
  });

/** Starts the server (and UI) over Postgres, then registers the namespace and search attributes. */
export async function startTemporalCluster(opts: { dataDir: string; pg: ClusterPostgres; ports: ClusterPorts; log: (l: string) => void }): Promise<RunningTemporalCluster> {
  const bins = ensureTemporalServer(opts.log);
  setupTemporalSchemas(bins.sqlTool, bins.schemaDir, opts.pg, opts.log);
  writeServerConfig(opts.dataDir, opts.pg, opts.ports);
  const address = `127.0.0.1:${opts.ports.frontend}`;

  // The server writes a lot at start: to a file in its folder, never to a pipe nobody drains.
  const logFile = path.join(opts.dataDir, 'server.log');
  const spawnServer = (): ChildProcess => {
    const out = openSync(logFile, 'a');
    const child = spawn(bins.server, ['--root', opts.dataDir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'], { stdio: ['ignore', out, out] });
    closeSync(out);
    return child;
  };
  const ready = async (): Promise<void> => {
    const exited = new Promise<never>((_, reject) => server.once('exit', (code) => reject(new Error(`the Temporal server exited (${code}); see ${logFile}`))));
    exited.catch(() => undefined); // once ready, a later exit (a restart) is not this wait's business
    await Promise.race([exited, waitFor(`temporal server (its log: ${logFile})`, async () => {
      const c = await Connection.connect({ address, connectTimeout: '1s' });
      try {
        await c.workflowService.getSystemInfo({});
        return true;
      } finally {
        await c.close();
      }
    }, 120_000)]);
  };

  let server = spawnServer();
  await ready();
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.describeNamespace({ namespace: 'default' }).catch(async () => {
      await connection.workflowService.registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs(`${RETENTION_DAYS}d`) });
      opts.log(`namespace default registered (retention ${RETENTION_DAYS} days)`);
    });
    // Registering the namespace takes effect within seconds; search attributes need it.
    await waitFor('namespace default', async () => !!(await connection.workflowService.describeNamespace({ namespace: 'default' })), 30_000);
    await waitFor('search attributes', async () => (await registerSearchAttributes(new Client({ connection, namespace: 'default' })), true), 60_000);
  } finally {
    await connection.close();
  }

  let ui: ChildProcess | undefined;
  if (bins.ui) {
    const uiConfig = path.join(opts.dataDir, 'ui-config');
    mkdirSync(uiConfig, { recursive: true });
    writeFileSync(path.join(uiConfig, 'cluster.yaml'), `temporalGrpcAddress: ${address}\nport: ${opts.ports.ui}\nenableUi: true\ndefaultNamespace: default\n`);
    const out = openSync(path.join(opts.dataDir, 'ui.log'), 'a');
    ui = spawn(bins.ui, ['--root', opts.dataDir, '--config', 'ui-config', '--env', 'cluster', 'start'], { stdio: ['ignore', out, out] });
    closeSync(out);
  }

  return {
    address,
    uiUrl: ui ? `http://localhost:${opts.ports.ui}` : undefined,
    get server() {
      return server;
    },
    ui,
    restart: async () => {
      await stopChild(server);
      server = spawnServer();
      await ready();
    },
    stop: async () => {
      await stopChild(ui);
      await stopChild(server);
    },
  };
}
