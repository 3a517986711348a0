"""How Pawline services talk: the write path's outbox relay, the inbox and its
in-order processor, leases, the message context, and their metrics.

- ``application``: ``PawlineApplication``, whose notification log is the outbox.
- ``relay``: publishes public events in log order, never losing one.
- ``inbox``: ``@subscribe(source, type)``; each event applied once, in order.
- ``lease``: one active relay and processor per service.
- ``context``: correlation and causation ids carried along every hop.
- ``metrics``: what they count, for each service's ``/metrics``.
"""
