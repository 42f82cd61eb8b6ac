/** The bench's webhook subscriptions: standard-dialect subscribers on the counting receiver. */
import { call, type Harness } from './harness';
import type { CountingReceiver } from './receiver';

/** `count` subscriptions of the key's tenant, each to its own path of the receiver (which learns its secret). */
export async function subscribe(h: Harness, receiver: CountingReceiver, count: number, key = h.key, tag = `${count}`): Promise<{ ids: string[]; paths: string[] }> {
  const ids: string[] = [];
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = `/sub-${tag}-${i}`;
    const res = await call(h, 'POST', '/v1/webhooks/subscriptions', { url: `${receiver.url}${p}`, provider: 'standard', events: [] }, { authorization: `Bearer ${key}` });
    receiver.setSecret(p, res.body.secret);
    ids.push(res.body.id);
    paths.push(p);
  }
  return { ids, paths };
}

export async function clearSubscriptions(h: Harness, ids: string[], key = h.key): Promise<void> {
  for (const id of ids) await call(h, 'DELETE', `/v1/webhooks/subscriptions/${id}`, undefined, { authorization: `Bearer ${key}` });
}
