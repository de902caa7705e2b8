"""Operational visibility: dashboards, accruals, spend and leakage, control evidence (reads every other app)."""
