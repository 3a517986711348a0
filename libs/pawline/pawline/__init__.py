"""Pawline's shared kit: what every service stands on.

- ``pawline.eventstore``: persistence modules for the ``eventsourcing`` library
  (``pawline.eventstore.mongo``).
- ``pawline.contracts``: the schema of every published event, the envelope,
  and the AsyncAPI document made from them.
- ``pawline.messaging``: outbox relay, inbox and in-order processor, leases.
- ``pawline.nameko``: base service classes and dependency providers.
- ``pawline.testing``: the pytest plugin and the embedded store process.
"""
