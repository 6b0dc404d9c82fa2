"""Password hashing with Argon2id (OWASP: 19 MiB, 2 iterations, 1 lane) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from steward.core.errors import InvalidField

_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)

MIN_LENGTH = 12
MAX_LENGTH = 1024
# The most common passwords long enough to pass the length rule; refused outright.
_COMMON = frozenset(
    {
        "123456789012",
        "password1234",
        "passwordpassword",
        "qwertyuiopas",
        "qwerty123456",
        "iloveyou1234",
        "111111111111",
        "000000000000",
        "abc123456789",
        "1q2w3e4r5t6y",
        "letmein12345",
        "welcome12345",
        "administrator",
        "changeme1234",
        "password123!",
    }
)


def check_policy(password: str, field: str = "password") -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidField(field, f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidField(field, f"must be at most {MAX_LENGTH} characters")
    if password.lower() in _COMMON:
        raise InvalidField(field, "is one of the most common passwords; choose another")


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
