"""Persistence modules for the ``eventsourcing`` library.

Select one with ``PERSISTENCE_MODULE=pawline.eventstore.mongo``.
"""
