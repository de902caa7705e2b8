"""Every write of the supplier master goes through these services."""
