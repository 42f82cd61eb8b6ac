/**
 * One try of one delivery: the envelope in the subscriber's dialect, signed with its secret (and
 * the previous one during a rotation), POSTed once. Never retried here.
 */
import type { HubConfig } from '../../common/config';
import type { ClaimedDelivery } from '../../common/deliveries/moves';
import { type AttemptOutcome, postOnce } from '../../common/deliveries/http-attempt';
import { messageIdFor, PROFILES } from '../../common/dialects/profiles';
import type { SecretBox } from '../../common/subscriptions/secrets';
import { signatureHeaders } from '../../common/dialects/signing';


export interface SentTry {
  delivery: ClaimedDelivery;
  attempt: number;
  startedAt: Date;
  endedAt: Date;
  outcome: AttemptOutcome;
  /** What was sent: the body byte for byte, the headers with any bearer secret left out (none when nothing could be built). */
  request?: { headers: Record<string, string>; body: string };
}

/** Headers as they may be stored: a secret sent as a bearer token (kourier) is not kept. */
const storableHeaders = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => (k.toLowerCase() === 'authorization' ? [k, 'Bearer [secret not stored]'] : [k, v])));

/** Decrypted secrets by ciphertext: every delivery of a subscription is signed with the same one. */
const SECRET_CACHE_SIZE = 1_000;

export function createSender(config: Pick<HubConfig, 'urlPolicy'>, box: SecretBox) {
  const secretCache = new Map<string, string>();
  const open = (sealed: string): string => {
    let secret = secretCache.get(sealed);
    if (secret === undefined) {
      if (secretCache.size >= SECRET_CACHE_SIZE) secretCache.clear();
      secret = box.open(sealed);
      secretCache.set(sealed, secret);
    }
    return secret;
  };

  return async function sendTry(d: ClaimedDelivery): Promise<SentTry> {
    const profile = PROFILES[d.provider];
    const messageId = messageIdFor(d.provider, d.event_type, d.event_id, d.name);
    const createdAt = d.event_created_at.toISOString();
    const envelope = profile.envelope({
      event: { id: d.event_id, type: d.event_type, created_at: createdAt, subject_id: d.subject_id, previous_status: d.previous_status, payload: d.payload, trip_id: d.trip_id === null ? null : Number(d.trip_id) },
      name: d.name,
      messageId,
    });
    const body = JSON.stringify(envelope);
    const secrets = [open(d.secret_enc)];
    if (d.previous_secret_enc && d.previous_secret_expires_at && d.previous_secret_expires_at > new Date()) secrets.push(open(d.previous_secret_enc));
    const headers = signatureHeaders(d.provider, {
      body,
      secrets,
      timestamp: Math.floor(Date.now() / 1000),
      messageId,
      name: d.name,
      objectId: (envelope as { objectId?: string }).objectId ?? null,
      eventTimestamp: (envelope as { eventTimestamp?: string }).eventTimestamp ?? createdAt,
    });
    const startedAt = new Date();
    const outcome = await postOnce({ url: d.url, body, headers, timeoutMs: profile.timeoutMs, policy: config.urlPolicy });
    return { delivery: d, attempt: d.attempt_count + 1, startedAt, endedAt: new Date(startedAt.getTime() + outcome.durationMs), outcome, request: { headers: storableHeaders(headers), body } };
  };
}

export type SendTry = ReturnType<typeof createSender>;
