"""Pawline notify service: notifications, subscriptions, templates, contact book."""
