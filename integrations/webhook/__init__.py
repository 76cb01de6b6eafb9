"""Generic webhook destination: HolmesGPT's investigation payload, optionally HMAC-signed."""
