"""OpsGenie: alerts polled in as events, investigations written back as notes (tags, priority)."""
