"""Password hashing with Argon2id (OWASP: 19 MiB, 2 iterations, 1 lane) and the password policy."""

from __future__ import annotations

import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from steward.core.errors import InvalidField

_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)

MIN_LENGTH = 12
MAX_LENGTH = 1024
# zxcvbn's estimate of the guesses a password takes, 0–4; 0 and 1 (under a million guesses)
# are the common passwords and their obvious variants ("password1234", "qwertyuiopas").
MIN_STRENGTH = 2
# The estimator's cost grows with length; the first 72 characters decide (a password whose
# first 72 are hard to guess is hard to guess). The whole password is what gets hashed.
_ESTIMATED_PREFIX = 72


# What every Steward install shares: the product's name and the demo's password.
PRODUCT_WORDS = ("steward", "steward-demo", "demo")
# A password left with fewer letters and digits than this once the user's own words (e-mail,
# name, company domain) and the product's are taken out is built from them.
_MIN_OWN_CHARACTERS = 8


def _words_of(user_inputs: Iterable[str]) -> list[str]:
    """The user's details and their parts: "maria.gonzalez@acme.com" gives the address, its
    local part and domain, and maria, gonzalez, acme."""
    words: set[str] = set(PRODUCT_WORDS)
    for text in user_inputs:
        text = text.strip().lower()
        if not text:
            continue
        words.add(text)
        local, _, domain = text.partition("@")
        words |= {local, domain, re.sub(r"[^a-z0-9]", "", local)}
        words |= {part for part in re.split(r"[^a-z0-9]+", text) if len(part) >= 3}
    return sorted((w for w in words if w), key=len, reverse=True)


def check_policy(
    password: str, field: str = "password", *, user_inputs: Iterable[str] = ()
) -> None:
    """Length, then guessability (zxcvbn, told the user's own details and the product's
    words), then whether the password is mostly those words."""
    if len(password) < MIN_LENGTH:
        raise InvalidField(field, f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidField(field, f"must be at most {MAX_LENGTH} characters")
    words = _words_of(user_inputs)
    remainder = re.sub(r"[^a-z0-9]", "", password.lower())
    for word in words:
        remainder = remainder.replace(re.sub(r"[^a-z0-9]", "", word), "")
    if len(remainder) < _MIN_OWN_CHARACTERS:
        raise InvalidField(
            field, "is built from your e-mail, your name or the product's name; choose another"
        )
    estimate = zxcvbn(password[:_ESTIMATED_PREFIX], user_inputs=words)
    if estimate["score"] < MIN_STRENGTH:
        hint = estimate["feedback"].get("warning") or "it is too easy to guess"
        raise InvalidField(field, f"is too common or too easy to guess ({hint.rstrip('.')})")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the e-mail is unknown, so response time does not reveal which e-mails exist.
DUMMY_HASH = _hasher.hash("steward-timing-equaliser")
