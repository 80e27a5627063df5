"""Web pages served by the gateway."""
