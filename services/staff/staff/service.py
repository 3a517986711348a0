"""The staff nameko service: thin RPC, HTTP and event entrypoints."""

from __future__ import annotations

from pawline.nameko import PawlineService


class StaffService(PawlineService):
    name = "staff"
