"""Pawline status service: components, incidents, maintenance windows, notices."""
