"""Integration services: every write of the integrations app goes through these."""
