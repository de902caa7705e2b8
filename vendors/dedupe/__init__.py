"""Vendor duplicate detection: name normalisation, vendor profiles, blocking keys, pair scoring, the scan and its
database layer (match-key index, candidate selector, scan service)."""
