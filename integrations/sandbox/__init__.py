"""Procurement sandbox: a stand-alone Coupa-style HTTP service with seeded data and fault injection.

Standard library only and no Django, so it runs as `python -m integrations.sandbox` anywhere the
repository is. See docs/sandbox.md.
"""
