/**
 * The hub's Prometheus metrics (prom-client), one registry per process. Counters and histograms
 * are updated where things happen; the gauges of stored state (stops by status, deliveries
 * waiting for a retry, outbox lag) are read from Postgres when scraped.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'dispatch_hub_' });

const registers = [registry];

export const METRICS = {
  httpRequests: new Counter({
    name: 'dispatch_hub_http_requests_total',
    help: 'HTTP requests answered, by API, method, route and status',
    labelNames: ['api', 'method', 'route', 'status'] as const,
    registers,
  }),
  httpDuration: new Histogram({
    name: 'dispatch_hub_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by API, method, route and status',
    labelNames: ['api', 'method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  }),
  rateLimited: new Counter({
    name: 'dispatch_hub_rate_limit_rejections_total',
    help: 'Requests refused with 429, by API',
    labelNames: ['api'] as const,
    registers,
  }),
  temporalUnrecognised: new Counter({
    name: 'dispatch_hub_temporal_unrecognised_failures_total',
    help: 'Temporal failures the API did not recognise and answered 503, by error class',
    labelNames: ['kind'] as const,
    registers,
  }),
  tries: new Counter({
    name: 'dispatch_hub_webhook_tries_total',
    help: 'Webhook tries recorded, by provider and outcome (succeeded, retrying, failed)',
    labelNames: ['provider', 'outcome'] as const,
    registers,
  }),
  tryDuration: new Histogram({
    name: 'dispatch_hub_webhook_try_duration_seconds',
    help: 'Time from sending a webhook try to its answer (or timeout), by provider',
    labelNames: ['provider'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers,
  }),
  deliveries: new Counter({
    name: 'dispatch_hub_webhook_deliveries_total',
    help: 'Webhook deliveries ended, by provider and outcome (succeeded, failed)',
    labelNames: ['provider', 'outcome'] as const,
    registers,
  }),
  retryWaiting: new Gauge({
    name: 'dispatch_hub_webhook_deliveries_waiting_retry',
    help: 'Deliveries waiting in a durable timer for their next try',
    registers,
  }),
  outboxLag: new Gauge({
    name: 'dispatch_hub_outbox_lag_seconds',
    help: 'Age of the oldest delivery that is due and not yet sent (0 when none)',
    registers,
  }),
  lifecycleStartsPending: new Gauge({
    name: 'dispatch_hub_lifecycle_starts_pending',
    help: 'Stops without a lifecycle workflow yet (the lifecycle starter works them off)',
    registers,
  }),
  lifecycleStartPace: new Gauge({
    name: 'dispatch_hub_lifecycle_start_pace',
    help: "Lifecycle workflows this worker's starter may start per second now (it follows Temporal's latency and backlog)",
    registers,
  }),
  taskQueueBacklog: new Gauge({
    name: 'dispatch_hub_temporal_task_queue_backlog',
    help: 'Workflow tasks waiting on each of the hub task queues, as the Temporal server reports it',
    labelNames: ['task_queue'] as const,
    registers,
  }),
  stops: new Gauge({
    name: 'dispatch_hub_stops',
    help: 'Stops by status',
    labelNames: ['status'] as const,
    registers,
  }),
};
