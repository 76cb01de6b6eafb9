"""Vendor integrations, each the same shape: source.py (vendor -> Event), render.py, writer.py."""
