/**
 * No Docker engine runs here, so the production topology is checked by reading the file: every
 * service is there, and the wiring between them agrees with itself and with the hub's config.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ENV_KEYS } from '../common/config';
import { SEARCH_ATTRIBUTE_FLAGS } from '../common/temporal/search-attributes';
import { NODE_FLAGS, PROCESS_ENV } from '../common/process-settings';

const root = path.resolve(__dirname, '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
const services = compose.services as Record<string, any>;

test('has the production services', () => {
  expect(Object.keys(services).sort()).toEqual(['api', 'grafana', 'postgres', 'prometheus', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker']);
});

test('Temporal is the server image, its schemas and namespace set up by one-shot admin-tools jobs (auto-setup is no longer built)', () => {
  expect(services.temporal.image).toMatch(/^temporalio\/server:/);
  expect(JSON.stringify(compose)).not.toContain('auto-setup');
  const schema = services['temporal-schema'].command.join(' ');
  for (const db of ['temporal', 'temporal_visibility']) expect(schema).toContain(db);
  expect(schema).toContain('temporal-sql-tool');
  expect(services.temporal.depends_on['temporal-schema'].condition).toBe('service_completed_successfully');
  const setup = services['temporal-setup'].command.join(' ');
  expect(setup).toContain('namespace create --namespace default');
  // Every search attribute the hub uses is registered, with its type.
  for (const flag of SEARCH_ATTRIBUTE_FLAGS) {
    const [name, type] = flag.split('=');
    expect(setup).toContain(`--name ${name} --type ${type}`);
  }
  for (const name of ['api', 'worker']) {
    expect(services[name].depends_on['temporal-setup'].condition).toBe('service_completed_successfully');
    expect(services[name].restart).toBe('unless-stopped');
    expect(services[name].healthcheck.test.join(' ')).toContain('/readyz');
  }
});

test('Prometheus scrapes every api and worker replica on their metrics ports; Grafana is provisioned with the dashboard', () => {
  const prom = parse(readFileSync(path.join(root, 'ops/prometheus/prometheus.yml'), 'utf8'));
  const targets = Object.fromEntries(prom.scrape_configs.map((c: any) => [c.dns_sd_configs[0].names[0], c.dns_sd_configs[0].port]));
  expect(targets).toEqual({ api: Number(services.api.environment.PORT), worker: Number(services.worker.environment.HUB_METRICS_PORT) });
  expect(services.prometheus.volumes).toContain('./ops/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  expect(services.grafana.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^\.\/ops\/grafana\/dashboards:/), expect.stringMatching(/^\.\/ops\/grafana\/provisioning:/)]));
  expect(existsSync(path.join(root, 'ops/grafana/dashboards/dispatch-hub.json'))).toBe(true);
});

test('api and worker are built from the repo Dockerfile and run the production entry points', () => {
  expect(existsSync(path.join(root, 'Dockerfile'))).toBe(true);
  const scripts = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts;
  for (const [name, script] of [['api', 'start:api'], ['worker', 'start:worker']] as const) {
    expect(services[name].build).toBe('.');
    // node itself, not npm: the container's SIGTERM must reach the process that drains; with
    // the memory settings of common/process-settings.ts, the same in the npm script, where the
    // shell `exec`s node so that npm's forwarded SIGTERM reaches it (without, npm exits and node
    // keeps running).
    expect(services[name].command).toEqual(['node', ...NODE_FLAGS, `dist/${name}/main.js`]);
    const env = Object.entries(PROCESS_ENV).map(([k, v]) => `${k}=${v}`);
    expect(scripts[script]).toBe([...env, 'exec', 'node', ...NODE_FLAGS, `dist/${name}/main.js`].join(' '));
    // Separately scalable: no fixed container name.
    expect(services[name].container_name).toBeUndefined();
  }
  expect(services.worker.ports).toBeUndefined();
});

test('the image sets the processes\' malloc settings and starts node itself', () => {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  for (const [k, v] of Object.entries(PROCESS_ENV)) expect(dockerfile).toContain(`ENV ${k}=${v}`);
  expect(dockerfile).toContain(`CMD ${JSON.stringify(['node', ...NODE_FLAGS, 'dist/api/main.js'])}`.replace(/","/g, '", "'));
});

test('every variable given to api and worker is one the hub reads', () => {
  for (const name of ['api', 'worker']) {
    for (const key of Object.keys(services[name].environment)) expect(ENV_KEYS).toContain(key);
  }
});

test('database wiring matches the postgres service', () => {
  const pg = services.postgres.environment;
  for (const name of ['api', 'worker']) {
    const url = new URL(services[name].environment.DATABASE_URL);
    expect(url.hostname).toBe('postgres');
    expect(url.username).toBe(pg.POSTGRES_USER);
    expect(url.password).toBe(pg.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
    expect(services[name].depends_on.postgres.condition).toBe('service_healthy');
  }
  for (const name of ['temporal', 'temporal-schema']) {
    expect(services[name].environment.POSTGRES_SEEDS).toBe('postgres');
    expect(services[name].environment.POSTGRES_USER).toBe(pg.POSTGRES_USER);
    expect(services[name].environment.POSTGRES_PWD).toBe(pg.POSTGRES_PASSWORD);
    expect(String(services[name].environment.DB)).toMatch(/^postgres/);
  }
});

test('temporal wiring: api, worker and UI point at the temporal service on its port', () => {
  const temporalPort = services.temporal.ports.map((p: string) => p.split(':')[1]);
  expect(temporalPort).toContain('7233');
  for (const name of ['api', 'worker', 'temporal-ui']) {
    expect(services[name].environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
  }
  expect(services['temporal-ui'].ports).toContain('8233:8080');
});

test('the api port mapping matches its PORT', () => {
  const port = services.api.environment.PORT;
  expect(services.api.ports).toContain(`${port}:${port}`);
});
