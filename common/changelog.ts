/** Served at GET /changelog: what changed in the HTTP contract, newest first. */
export const CHANGELOG = [
  {
    version: '2026-11-23',
    changes: [
      'Initial v1 API: health, time, changelog, API keys with scopes, request ids and the error shape.',
    ],
  },
] as const;

export const API_VERSION = CHANGELOG[0].version;
