"""Outbound: the outbox, retries and dead letters, and one sender per platform."""
