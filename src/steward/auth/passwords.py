"""Password hashing with Argon2id (OWASP: 19 MiB, 2 iterations, 1 lane) and the password policy."""

from __future__ import annotations

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


def check_policy(password: str, field: str = "password") -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidField(field, f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidField(field, f"must be at most {MAX_LENGTH} characters")
    estimate = zxcvbn(password[:_ESTIMATED_PREFIX])
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
