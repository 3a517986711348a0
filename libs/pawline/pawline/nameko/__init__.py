"""Entrypoints and dependency providers every Pawline nameko service shares."""

from pawline.nameko.base import PawlineService

__all__ = ["PawlineService"]
