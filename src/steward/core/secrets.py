"""Credentials at rest: Fernet (AES-128-CBC with HMAC-SHA256, `cryptography`), keyed by
STEWARD_SECRET_KEY or a key file. A stolen database alone reveals no mailbox password."""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from steward.config import Settings


class SecretUnreadable(Exception):
    """A stored secret that the configured keys do not open (the key changed)."""


def _fernet_key(passphrase: str) -> bytes:
    # A Fernet key is 32 url-safe base64 bytes; any passphrase is stretched to that. A
    # passphrase that already is a Fernet key is used as it is.
    try:
        if len(base64.urlsafe_b64decode(passphrase.encode())) == 32:
            return passphrase.encode()
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(passphrase.encode()).digest())


def _key_file(settings: Settings) -> Path:
    return settings.secret_key_file or settings.data_dir / "secret.key"


def _file_key(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once do not write two different keys.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(Fernet.generate_key().decode())
    key = path.read_text().strip()
    if not key:
        raise SecretUnreadable(f"the key file {path} is empty")
    return key


@lru_cache(maxsize=8)
def _cipher(passphrases: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(p)) for p in passphrases])


def cipher(settings: Settings) -> MultiFernet:
    keys = [k.strip() for k in settings.secret_key.split(",") if k.strip()]
    if not keys:
        keys = [_file_key(_key_file(settings))]
    return _cipher(tuple(keys))


def encrypt(settings: Settings, secret: str) -> str:
    return cipher(settings).encrypt(secret.encode()).decode()


def decrypt(settings: Settings, token: str) -> str:
    try:
        return cipher(settings).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "a stored credential cannot be decrypted: STEWARD_SECRET_KEY (or the key file) is"
            " not the one it was saved with; enter the credential again"
        ) from None
