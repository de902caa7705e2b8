"""The approvals API: my inbox, requests and their decisions, transitions, delegations (people only)."""
