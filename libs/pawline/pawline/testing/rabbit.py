"""RabbitMQ's management HTTP API, as the devstack and the benchmarks use it
(vhosts for a run, cleaning up after killed test runs)."""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from typing import Any

DEFAULT_CTL_URI = "http://guest:guest@127.0.0.1:15672"


def management_request(
    ctl_uri: str, path: str, method: str = "GET", body: object = None, timeout: float = 5
) -> Any:
    """Call the management API at ``ctl_uri`` (credentials in the URI); the
    decoded JSON reply, or None for an empty one."""
    parsed = urllib.parse.urlsplit(ctl_uri)
    base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 15672}"
    request = urllib.request.Request(base + path, method=method)  # noqa: S310
    credentials = f"{parsed.username or 'guest'}:{parsed.password or 'guest'}"
    request.add_header("Authorization", "Basic " + base64.b64encode(credentials.encode()).decode())
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, data=data, timeout=timeout) as response:  # noqa: S310
        text = response.read()
    return json.loads(text) if text else None
