/** Settings as the processes read them from the environment (common/config.ts). */
import { loadConfig } from '../../common/config';

test('a setting set to nothing takes its default, not zero', () => {
  const defaults = loadConfig({});
  const blank = loadConfig({ HUB_DELIVERY_NICE: '', HUB_SUBSCRIPTION_CONCURRENCY: '  ', PORT: '' });
  expect(defaults.deliveryQueue.nice).toBe(10);
  expect(blank.deliveryQueue).toEqual(defaults.deliveryQueue);
  expect(blank.port).toBe(defaults.port);
  expect(loadConfig({ HUB_DELIVERY_NICE: '0' }).deliveryQueue.nice).toBe(0);
});

test('a setting out of range is refused by name', () => {
  expect(() => loadConfig({ HUB_DELIVERY_NICE: '20' })).toThrow(/invalid configuration: HUB_DELIVERY_NICE/);
  expect(() => loadConfig({ HUB_SUBSCRIPTION_CONCURRENCY: 'many' })).toThrow(/HUB_SUBSCRIPTION_CONCURRENCY/);
});
