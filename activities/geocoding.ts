import type { GeocodedColumn } from '../common/db/schema';
import { geocodeHttp } from '../common/geocoding/http';
import { geocodeOffline } from '../common/geocoding/offline';
import type { ActivityDeps } from './deps';

export function geocodingActivities({ config }: ActivityDeps) {
  return {
    async geocodeAddress(input: { address: string }): Promise<GeocodedColumn> {
      return config.geocoderUrl ? geocodeHttp(config.geocoderUrl, input.address) : geocodeOffline(input.address);
    },
  };
}
