"""Bank account numbers at rest: Fernet encryption with a key from the environment, and a keyed fingerprint that
lets us find the same account on two vendors without decrypting either."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet() -> Fernet:
    key = settings.BANK_ACCOUNT_KEY
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            "BANK_ACCOUNT_KEY must be a Fernet key (32 url-safe base64-encoded bytes); make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        ) from error


def encrypt(plain: str) -> str:
    """Encrypt a bank account number (or IBAN) for storage."""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The clear number; a token made with another key is an error that names the setting."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A bank account number cannot be decrypted with the BANK_ACCOUNT_KEY set."
        ) from error


def fingerprint(bank: str, account: str) -> str:
    """Keyed SHA-256 of bank id + account number (both normalised), stable across vendors."""
    key = hashlib.sha256(b"bank-fingerprint:" + base64.urlsafe_b64decode(settings.BANK_ACCOUNT_KEY)).digest()
    message = f"{bank.strip().upper()}|{account.strip().upper()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
