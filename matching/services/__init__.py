"""Every write of intake and matching goes through these services."""
