"""alertfleet: a durable, rate-limited alert investigation fleet (HolmesGPT-compatible)."""

__version__ = "0.1.0"
