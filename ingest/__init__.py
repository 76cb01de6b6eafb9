"""The thin ingest service: authenticate, validate, normalise, store durably, answer."""
