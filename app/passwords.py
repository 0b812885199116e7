"""Password and security-answer hashing (argon2id) and the password policy of SPEC §6."""

from __future__ import annotations

import contextlib
import re
import secrets
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

MAX_LENGTH = 128


@cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
    )


def hasher() -> PasswordHasher:
    cfg = current_app.config
    return _hasher(cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])


def normalise_password(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def hash_password(password: str) -> str:
    return hasher().hash(normalise_password(password))


def verify(stored_hash: str | None, secret: str) -> bool:
    """True when `secret` matches; a missing hash still costs one hashing run."""
    if not stored_hash:
        burn_time()
        return False
    try:
        return hasher().verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(stored_hash: str | None, password: str) -> bool:
    return verify(stored_hash, normalise_password(password))


def needs_rehash(stored_hash: str) -> bool:
    return hasher().check_needs_rehash(stored_hash)


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_cost, parallelism).hash("not a real password")


def burn_time() -> None:
    """Spend what one verification costs, so unknown accounts answer as slowly as known ones."""
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    with contextlib.suppress(VerificationError):
        _hasher(*key).verify(_dummy_hash(*key), "a wrong guess")


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("app").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip())


def password_problem(
    password: str, min_length: int, username: str = "", email: str = "", display_name: str = ""
) -> str | None:
    """The reason a new password is refused, or None. No composition rules (NIST 63B)."""
    password = normalise_password(password)
    if len(password) < min_length:
        return f"Use at least {min_length} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    folded = password.casefold()
    if folded in common_passwords():
        return "This password is too common; choose another."
    local_part = email.rpartition("@")[0].casefold()
    for part in (username.casefold(), local_part):
        if len(part) >= 3 and part in folded:
            return "The password must not contain your username or email name."
    return strength_problem(password, (username, email, display_name))


# zxcvbn (Dropbox's estimator) finds repeats, sequences, keyboard walks, dates and dictionary
# words with l33t or padding, and the person's own names, and estimates the guesses needed.
# Score 3 means at least 10^8 guesses: with argon2id at tens of milliseconds a guess, over a
# month of one core per account for an offline attack, and no online one gets near it.
MIN_SCORE = 3
# Its time grows with the square of the length: about 0.2 s for 128 characters, 10-60 ms for
# 64. Only the start of a long password is estimated (the password itself is never cut).
ESTIMATED_LENGTH = 64


def strength_problem(password: str, user_inputs: tuple[str, ...] = ()) -> str | None:
    """zxcvbn's warning and suggestions when it scores `password` below MIN_SCORE."""
    result = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=_words_of(user_inputs))
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    advice = [feedback.get("warning") or "", *feedback.get("suggestions", ())]
    return " ".join(["This password is too easy to guess.", *filter(None, advice)])


def _words_of(values: tuple[str, ...]) -> list[str]:
    """Each value whole and the words in it (an email's name and domain, a name's parts)."""
    found: set[str] = set()
    for value in filter(None, values):
        folded = value.casefold()
        found.add(folded)
        found.update(word for word in re.split(r"\W+", folded) if len(word) >= 3)
    return sorted(found)


def normalise_answer(answer: str) -> str:
    """NFKC, case-folded, trimmed, inner white space collapsed to one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", answer).casefold()).strip()


def hash_answer(answer: str) -> str:
    return hasher().hash(normalise_answer(answer))


def verify_answer(stored_hash: str | None, answer: str) -> bool:
    return verify(stored_hash, normalise_answer(answer))


def answer_problem(answer: str, username: str, email: str, password: str = "") -> str | None:
    norm = normalise_answer(answer)
    if len(norm) < 3:
        return "The answer needs at least 3 characters."
    if len(norm) > 200:
        return "The answer must be at most 200 characters."
    same = {normalise_answer(v) for v in (username, email, email.rpartition("@")[0], password) if v}
    if norm in same:
        return "The answer must not be your username, email or password."
    return None


# Lower-case letters and digits that cannot be taken for one another when read off a screen or
# a phone: no 0/o/O and no 1/l/I. 32 symbols, 5 bits each.
TEMPORARY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def temporary_password(groups: int = 6, size: int = 5) -> str:
    """A random password to pass on by hand, in groups ("k7mqx-3tpab-…"): 150 bits from
    `secrets` with the default shape, above the 128 the recovery rules ask for."""
    return "-".join(
        "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(size)) for _ in range(groups)
    )
