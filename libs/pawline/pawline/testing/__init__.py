"""Test support shared by the kit's and the services' suites.

- ``pawline.testing.pytest_plugin``: eventlet monkey patching, and fixtures for
  a fresh MongoDB database per test (loaded by the repository's pytest config).
- ``pawline.testing.checks``: checks every service's own suite runs.
"""
