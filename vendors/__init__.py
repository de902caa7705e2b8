"""Golden supplier master."""
