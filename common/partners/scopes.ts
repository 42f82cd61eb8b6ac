import { z } from 'zod';

/** The Partner API's scopes, as the Naveera seed names them. */
export const PARTNER_SCOPES = ['trips:read', 'trips:lifecycle', 'billing:read', 'webhooks:manage'] as const;
export const partnerScopeSchema = z.enum(PARTNER_SCOPES);
export type PartnerScope = z.infer<typeof partnerScopeSchema>;

export const PARTNER_TIERS = ['standard', 'premium', 'enterprise'] as const;
export const partnerTierSchema = z.enum(PARTNER_TIERS);
export type PartnerTier = (typeof PARTNER_TIERS)[number];
