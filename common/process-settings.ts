/**
 * How the API and worker processes are started in production (package.json `start:*`, the
 * Dockerfile, docker-compose.yml and the bench all use these; a test holds them to it). Their
 * live heaps are ~50-70 MB; uncapped, V8 lets garbage grow a heap past 250 MB before collecting,
 * and glibc's per-thread malloc arenas (the Temporal core and gRPC run many threads) add ~100 MB
 * more. Measured on the worker: peak RSS 435 MB -> ~300 MB under the bench.
 *
 * The young generation's semi-spaces are capped at 4 MB (V8's default lets them grow to 16 MB,
 * three of them committed under a high allocation rate): peak RSS api 198 -> 167 MB, worker
 * 390 -> 350 MB under the bench, throughput within noise; 2 MB cost the API ~15 % of its
 * requests a second in more frequent scavenges.
 */
export const NODE_FLAGS = ['--max-old-space-size=160', '--max-semi-space-size=4'] as const;
export const PROCESS_ENV = { MALLOC_ARENA_MAX: '2' } as const;
