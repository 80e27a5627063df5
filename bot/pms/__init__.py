"""PMS connectors: one module per system behind the Protocol in base.py."""
