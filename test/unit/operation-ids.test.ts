import { z } from 'zod';
import { buildV1Document } from '../../api/openapi';
import { operationIdOf } from '../../api/openapi-document';
import { buildPartnerDocument } from '../../api/partner/operations';

type Doc = { paths: Record<string, Record<string, { operationId?: string; tags?: string[] }>>; tags: { name: string; description: string }[] };

describe('operation ids', () => {
  it('follow one rule: the resource, then the verb', () => {
    const page = z.object({ data: z.array(z.string()) });
    expect(operationIdOf({ method: 'get', path: '/v1/stops', response: page }, '/v1')).toBe('stops.list');
    expect(operationIdOf({ method: 'post', path: '/v1/stops' }, '/v1')).toBe('stops.create');
    expect(operationIdOf({ method: 'get', path: '/v1/stops/:id' }, '/v1')).toBe('stops.get');
    expect(operationIdOf({ method: 'patch', path: '/v1/stops/:id' }, '/v1')).toBe('stops.update');
    expect(operationIdOf({ method: 'post', path: '/v1/stops/:id/pick-up' }, '/v1')).toBe('stops.pickUp');
    expect(operationIdOf({ method: 'get', path: '/v1/stops/:id/history' }, '/v1')).toBe('stops.getHistory');
    expect(operationIdOf({ method: 'post', path: '/v1/webhooks/subscriptions/:id/rotate-secret' }, '/v1')).toBe('webhooks.subscriptions.rotateSecret');
    expect(operationIdOf({ method: 'get', path: '/v1/me' }, '/v1')).toBe('me.get');
    expect(operationIdOf({ method: 'get', path: '/time' }, '/v1')).toBe('time.get');
    expect(operationIdOf({ method: 'get', path: '/v1/openapi.json' }, '/v1')).toBe('openapi.get');
    expect(() => operationIdOf({ method: 'post', path: '/v1/stops/:id' }, '/v1')).toThrow(/names its action/);
  });

  it.each([
    ['/v1', buildV1Document],
    ['the Partner API', buildPartnerDocument],
  ])('every operation of %s has a unique id and a described tag', (_, build) => {
    const doc = build() as Doc;
    const ops = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
    const ids = ops.map((o) => o.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]*(\.[a-z][A-Za-z]*)+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const described = new Set(doc.tags.filter((t) => t.description.length > 0).map((t) => t.name));
    expect(ops.every((o) => o.tags?.length === 1 && described.has(o.tags[0]!))).toBe(true);
  });
});
