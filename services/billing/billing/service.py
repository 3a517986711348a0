"""The billing nameko service: thin RPC, HTTP and event entrypoints."""

from __future__ import annotations

from pawline.nameko import PawlineService


class BillingService(PawlineService):
    name = "billing"
