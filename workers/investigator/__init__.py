"""The investigator: LLM tool loop (or deterministic enrichment) -> sectioned result."""
