"""Insights: finance reports."""
