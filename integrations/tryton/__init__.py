"""Tryton 8.2 (the real ERP): JSON-RPC client, mapping and the test/demo harness."""
