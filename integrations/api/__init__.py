"""The integrations API: systems with their health, sync runs, deliveries and dead letters, and their actions."""
