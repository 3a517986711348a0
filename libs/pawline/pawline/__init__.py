"""Pawline's shared kit: what every service stands on.

- ``pawline.eventstore``: persistence modules for the ``eventsourcing`` library
  (``pawline.eventstore.mongo``).
- ``pawline.config``: settings read from the environment, with local defaults.
"""
