/**
 * How the worker process is started in production (package.json `start:worker`, the Dockerfile,
 * docker-compose.yml and the bench all use these; a test holds them to it). Its live heap is
 * ~70 MB; uncapped, V8 lets garbage grow it past 250 MB before collecting, and glibc's per-thread
 * malloc arenas (the Temporal core runs many threads) add ~100 MB more. Measured: peak RSS
 * 435 MB → 301 MB under the bench.
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=160'] as const;
export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' } as const;
