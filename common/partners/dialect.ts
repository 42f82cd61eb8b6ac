/**
 * Brokers speak the dialect of the Partner API they use (the Naveera seed's): its webhooks, its
 * polled event names and its trip statuses all come from that one row of the profile table.
 */
import type { ProviderName } from '../dialects/profiles';

export const PARTNER_DIALECT = 'naveera' satisfies ProviderName;
