import type { GeocodingActivities } from '../common/temporal/stop-lifecycle';
import { geocodeHttp } from '../common/geocoding/http';
import { geocodeOffline } from '../common/geocoding/offline';
import type { ActivityDeps } from './deps';

export function geocodingActivities({ config }: ActivityDeps): GeocodingActivities {
  return {
    async geocodeAddress(input) {
      return config.geocoderUrl ? geocodeHttp(config.geocoderUrl, input.address) : geocodeOffline(input.address);
    },
  };
}
