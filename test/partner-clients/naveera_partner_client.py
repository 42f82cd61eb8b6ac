# The Naveera seed's Python client and signature check (seed 004, "Python" and "Verify webhook
# signatures"), copied as the seed shows them. Only the usage at the bottom differs: base URL and
# credentials come from the environment, and results are printed as JSON for the test to read.
import requests
from dataclasses import dataclass
from typing import Optional, List
from datetime import datetime

import hmac
import hashlib
import time

def verify_webhook_signature(
    payload: bytes,
    signature_header: str,
    secret: str,
    tolerance_seconds: int = 300
) -> bool:
    """
    Verify Naveera webhook signature.

    Args:
        payload: Raw request body bytes
        signature_header: Value of X-Naveera-Signature header
        secret: Your webhook signing secret
        tolerance_seconds: Maximum age of signature (default 5 minutes)

    Returns:
        True if signature is valid, False otherwise
    """
    # Parse signature header: t=timestamp,v1=signature
    parts = {}
    for part in signature_header.split(','):
        key, value = part.split('=', 1)
        parts[key] = value

    timestamp = int(parts.get('t', 0))
    expected_signature = parts.get('v1', '')

    # Check timestamp is recent (prevent replay attacks)
    current_time = int(time.time())
    if abs(current_time - timestamp) > tolerance_seconds:
        return False

    # Compute expected signature
    signed_payload = f"{timestamp}.{payload.decode('utf-8')}"
    computed_signature = hmac.new(
        secret.encode('utf-8'),
        signed_payload.encode('utf-8'),
        hashlib.sha256
    ).hexdigest()

    # Constant-time comparison
    return hmac.compare_digest(computed_signature, expected_signature)


@dataclass
class NaveeraPartnerClient:
    """Simple Naveera Partner API client."""

    base_url: str = "https://api.naveera.io/api/partner/v1"
    key_id: str = ""
    secret_key: str = ""

    @property
    def auth_header(self) -> dict:
        return {"Authorization": f"Bearer {self.key_id}:{self.secret_key}"}

    def list_trips(
        self,
        status: Optional[List[str]] = None,
        trip_date_from: Optional[str] = None,
        trip_date_to: Optional[str] = None,
        updated_since: Optional[str] = None,
        page: int = 1,
        page_size: int = 50
    ) -> dict:
        """List trips with optional filtering."""
        params = {"page": page, "page_size": page_size}
        if status:
            params["status"] = ",".join(status)
        if trip_date_from:
            params["trip_date_from"] = trip_date_from
        if trip_date_to:
            params["trip_date_to"] = trip_date_to
        if updated_since:
            params["updated_since"] = updated_since

        response = requests.get(
            f"{self.base_url}/trips",
            headers=self.auth_header,
            params=params
        )
        response.raise_for_status()
        return response.json()

    def get_trip(self, trip_id: int) -> dict:
        """Get trip by internal ID."""
        response = requests.get(
            f"{self.base_url}/trips/{trip_id}",
            headers=self.auth_header
        )
        response.raise_for_status()
        return response.json()

    def get_trip_by_external_id(self, broker_trip_id: str) -> dict:
        """Get trip by your external ID."""
        response = requests.get(
            f"{self.base_url}/trips/by-external-id/{broker_trip_id}",
            headers=self.auth_header
        )
        response.raise_for_status()
        return response.json()


if __name__ == "__main__":
    import json
    import os
    import sys

    # Usage (the seed's, with the hub's base URL and this broker's credentials)
    client = NaveeraPartnerClient(
        base_url=os.environ["NAVEERA_BASE_URL"],
        key_id=os.environ["NAVEERA_KEY_ID"],
        secret_key=os.environ["NAVEERA_SECRET_KEY"],
    )
    plan = json.loads(sys.stdin.read())
    out = {}

    # List active trips
    trips = client.list_trips(status=["assigned", "in_progress"])
    print(f"Found {trips['total']} active trips", file=sys.stderr)
    out["active"] = trips

    out["all"] = client.list_trips(page_size=100)
    out["finished_on_day"] = client.list_trips(status=["finished"], trip_date_from=plan["day"], trip_date_to=plan["day"])
    # The seed's incremental sync passes a datetime (requests sends str(datetime), zone-less UTC).
    out["updated_since"] = client.list_trips(updated_since=datetime.fromisoformat(plan["updated_since"]))
    out["updated_since_now"] = client.list_trips(updated_since=datetime.utcnow())

    # Get trip by your external ID
    trip = client.get_trip_by_external_id(plan["broker_trip_id"])
    print(f"Trip status: {trip['status']}", file=sys.stderr)
    out["by_external_id"] = trip
    out["by_id"] = client.get_trip(plan["trip_id"])

    try:
        client.get_trip(plan["foreign_trip_id"])
        out["foreign"] = "visible"
    except requests.HTTPError as e:
        out["foreign"] = {"status": e.response.status_code, "body": e.response.json()}

    out["signatures"] = [
        verify_webhook_signature(w["payload"].encode("utf-8"), w["header"], w["secret"]) for w in plan["webhooks"]
    ]
    print(json.dumps(out))
