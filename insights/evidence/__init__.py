"""Insights: evidence reports."""
