"""Generic approval engine."""
