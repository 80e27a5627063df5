"""Inbound platform adapters: verify a request and turn it into a neutral InboundEvent, nothing more."""
