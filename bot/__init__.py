"""pmsbot: the gateway process."""

__version__ = "0.1.0"
