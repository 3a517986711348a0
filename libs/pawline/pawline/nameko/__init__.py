"""Entrypoints and dependency providers every Pawline nameko service shares."""

from pawline.nameko.base import BadRequestError, EventSourcedService, PawlineService
from pawline.nameko.eventsourced import EventSourced, MessageContextProvider

__all__ = [
    "BadRequestError",
    "EventSourced",
    "EventSourcedService",
    "MessageContextProvider",
    "PawlineService",
]
