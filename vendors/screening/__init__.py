"""Exclusion screening: OIG LEIE and SAM exclusion files, matching vendors against the current lists, and hits."""
