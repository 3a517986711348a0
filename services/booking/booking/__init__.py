"""Pawline booking service: clients, pets, catalog, tickets, appointments, wait list."""
