"""Procurement-suite connector (Coupa-style API): pure HTTP client and the mapping beside it."""
