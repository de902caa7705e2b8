"""Audit models (the hash-chain seals land here)."""
