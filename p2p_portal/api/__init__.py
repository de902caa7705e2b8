"""The API frame at /api/v1/: bearer tokens, problem+json errors, cursor pagination, idempotency, OpenAPI."""
