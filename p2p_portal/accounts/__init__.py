"""Accounts: login, lockout, the TOTP second factor and re-authentication before sensitive actions."""
