"""The notify nameko service: thin RPC, HTTP and event entrypoints."""

from __future__ import annotations

from pawline.nameko import PawlineService


class NotifyService(PawlineService):
    name = "notify"
