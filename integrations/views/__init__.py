"""Pages of the integrations console: systems with their health, sync runs, the outbox and dead letters."""
