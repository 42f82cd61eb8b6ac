/**
 * Custom search attributes operators filter on in the Temporal UI. Pure definitions, so workflow
 * code can import them too.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  TenantId: defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD),
  StopId: defineSearchAttributeKey('StopId', SearchAttributeType.KEYWORD),
  EventType: defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD),
  SubscriptionId: defineSearchAttributeKey('SubscriptionId', SearchAttributeType.KEYWORD_LIST),
  Provider: defineSearchAttributeKey('Provider', SearchAttributeType.KEYWORD_LIST),
  ImportId: defineSearchAttributeKey('ImportId', SearchAttributeType.KEYWORD),
  PartnerId: defineSearchAttributeKey('PartnerId', SearchAttributeType.KEYWORD),
  RouteId: defineSearchAttributeKey('RouteId', SearchAttributeType.KEYWORD),
} as const;

/** `Name=Type` pairs as `temporal server start-dev --search-attribute` wants them. */
export const SEARCH_ATTRIBUTE_FLAGS: string[] = Object.values(SA).map(
  (key) => `${key.name}=${key.type === SearchAttributeType.KEYWORD_LIST ? 'KeywordList' : 'Keyword'}`,
);
