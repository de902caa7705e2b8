"""The audit trail: who changed what and why, append-only at the database, sealed by a hash chain."""
