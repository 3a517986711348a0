"""Pawline staff service: employees, schedules, time clock, permissions, service limitations."""
