"""Insights: governance reports."""
