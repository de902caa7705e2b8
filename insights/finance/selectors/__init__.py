"""Scoped reads of the finance reports: accruals (accruals.py), spend and leakage (spend.py)."""
