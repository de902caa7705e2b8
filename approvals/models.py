"""Generic approval engine: models arrive with the issue that builds this app."""
