"""Pawline gateway service: the one public HTTP surface; stateless, calls the services over RPC."""
