"""Fixtures of the account tests: the passkey ones live in passkey_support.py."""

from tests.account.passkey_support import alice, enrolled, notices  # noqa: F401
