// The Naveera seed's JavaScript client (seed 004, "JavaScript"), copied as the seed shows it.
// Only the usage differs: the test passes the hub's base URL and a broker's credentials.
const axios = require('axios');
const crypto = require('crypto');

class NaveeraPartnerClient {
  constructor(keyId, secretKey, baseUrl = 'https://api.naveera.io/api/partner/v1') {
    this.keyId = keyId;
    this.secretKey = secretKey;
    this.baseUrl = baseUrl;
  }

  get authHeader() {
    return { Authorization: `Bearer ${this.keyId}:${this.secretKey}` };
  }

  async listTrips({ status, tripDateFrom, tripDateTo, updatedSince, page = 1, pageSize = 50 } = {}) {
    const params = new URLSearchParams({ page, page_size: pageSize });
    if (status) params.append('status', status.join(','));
    if (tripDateFrom) params.append('trip_date_from', tripDateFrom);
    if (tripDateTo) params.append('trip_date_to', tripDateTo);
    if (updatedSince) params.append('updated_since', updatedSince);

    const response = await axios.get(`${this.baseUrl}/trips?${params}`, {
      headers: this.authHeader,
    });
    return response.data;
  }

  async getTripByExternalId(brokerTripId) {
    const response = await axios.get(
      `${this.baseUrl}/trips/by-external-id/${encodeURIComponent(brokerTripId)}`,
      { headers: this.authHeader }
    );
    return response.data;
  }

  verifyWebhookSignature(payload, signatureHeader, secret, toleranceSeconds = 300) {
    const parts = Object.fromEntries(
      signatureHeader.split(',').map(p => p.split('=', 2))
    );
    const timestamp = parseInt(parts.t, 10);
    const expectedSignature = parts.v1;

    // Check timestamp
    const currentTime = Math.floor(Date.now() / 1000);
    if (Math.abs(currentTime - timestamp) > toleranceSeconds) {
      return false;
    }

    // Compute signature
    const signedPayload = `${timestamp}.${payload}`;
    const computedSignature = crypto
      .createHmac('sha256', secret)
      .update(signedPayload)
      .digest('hex');

    return crypto.timingSafeEqual(
      Buffer.from(computedSignature),
      Buffer.from(expectedSignature)
    );
  }
}

module.exports = { NaveeraPartnerClient };
