"""Insights: operations reports."""
