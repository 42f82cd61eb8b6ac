/** Served at /api/partner/v1/changelog: what changed in the Partner API on this hub, newest first. */
import { NAVEERA_API_VERSION } from '../dialects/profiles';

export const PARTNER_CHANGELOG = {
  current_version: NAVEERA_API_VERSION,
  entries: [
    {
      version: NAVEERA_API_VERSION,
      release_date: '2026-11-27',
      changes: [
        'Partner API on Dispatch Hub: /me, /rate-limit-status, /health, /time, /changelog',
        'Trips: list with filters, by id, by external id, by status group, status history',
        'Webhooks: subscriptions in the naveera dialect, deliveries, manual retry, events polling with an exactly-once `after` cursor',
      ],
      deprecations: [],
    },
  ],
};
