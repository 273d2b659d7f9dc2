"""The container HEALTHCHECK: GET /healthz on the local gunicorn, exit 0 if healthy.

Runs without Django. It sends a Host header from ALLOWED_HOSTS, because Django
rejects requests for hosts it does not serve, and 127.0.0.1 usually isn't one.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").replace(",", " ").split()]
    host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
    port = os.environ.get("PORT", "8000")
    # A fixed http URL on loopback, so the scheme checks of S310 do not apply.
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
