"""Seals: an approved reporting month signed with an Ed25519 key that lives outside the database.

Someone who can write to the database can rewrite a chain and its head consistently; they cannot
sign. A seal states a yard's month (its totals by material and kind) and the chain's head when the
month was approved; the tamper check verifies each signature and that the sealed head and totals
still hold, so no regulator has to keep checkpoint files. The public key is published; anyone can
check an exported seal offline with it (`wastematch seals verify`).

The key file is made on first use (by whichever worker gets there first; the others read it) and
must never be committed: its default name ends in `.seal-key.pem`, which the repository ignores.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import make_url

STATEMENT_KIND = "wastematch.month-seal/1"


class SealKeyError(ValueError):
    """The key file cannot be read or made; the message names the file."""


def default_key_path(database_url: str) -> Path:
    """Beside a SQLite file; in the working directory for a server database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).with_name(Path(url.database).name + ".seal-key.pem")
    return Path("wastematch.seal-key.pem")


@dataclass(frozen=True)
class SealKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def public_pem(self) -> str:
        return public_pem(self.public)

    def sign(self, statement: Mapping[str, Any]) -> tuple[str, str]:
        """The canonical text of the statement and its base64 signature."""
        text = canonical(statement)
        return text, base64.b64encode(self.private.sign(text.encode())).decode()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def canonical(statement: Mapping[str, Any]) -> str:
    return json.dumps(statement, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


_KEYS: dict[Path, SealKey] = {}


def load_or_create(path: Path) -> SealKey:
    """The private key in `path`, made (mode 0600) if the file does not exist yet."""
    path = path.resolve()
    if path in _KEYS:
        return _KEYS[path]
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # written whole under a temporary name and linked in: a second worker starting at the
        # same moment either wins the link or reads the winner's key, never half a file
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SealKeyError(f"seal key: {path} cannot be read ({exc})") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise SealKeyError(f"seal key: {path} is not an Ed25519 private key")
    key = SealKey(loaded)
    _KEYS[path] = key
    return key


def load_public(pem: bytes | str) -> Ed25519PublicKey:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise SealKeyError(f"public key: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SealKeyError("public key: not an Ed25519 key")
    return key


def signature_holds(
    public: Ed25519PublicKey,
    statement_text: str,
    signature: str,
    signer: Ed25519PrivateKey | None = None,
) -> bool:
    """Whether `signature` (base64) is `public`'s over the text. `signer`, `public`'s own
    private key if the caller holds it (never another key's), makes the common case three times
    cheaper: Ed25519 signs deterministically (RFC 8032), so a signature equal to the one the key
    makes now holds, and signing takes a third of the time of verifying. Any other signature is
    verified as usual."""
    text = statement_text.encode()
    if signer is not None and base64.b64encode(signer.sign(text)).decode() == signature:
        return True
    try:
        public.verify(base64.b64decode(signature, validate=True), text)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_export(public_pem_text: bytes | str, exported: Mapping[str, Any]) -> dict[str, Any]:
    """Check an exported seal (`{"statement", "signature", ...}`) with only the public key."""
    public = load_public(public_pem_text)
    statement = exported.get("statement")
    signature = exported.get("signature")
    if not isinstance(statement, str) or not isinstance(signature, str):
        return {"ok": False, "problem": "the file has no statement text and signature"}
    if not signature_holds(public, statement, signature):
        return {"ok": False, "problem": "the signature does not match the statement and key"}
    try:
        parsed = json.loads(statement)
    except ValueError:
        return {"ok": False, "problem": "the statement is not JSON"}
    return {"ok": True, "key_id": key_id(public), "statement": parsed}
