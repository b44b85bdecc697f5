"""What an uploaded document is, decided by its content, never by its name or declared type."""

from __future__ import annotations

import io
import zipfile

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ACCEPTED = "PDF, JPEG, PNG or XLSX"


def sniff(content: bytes) -> str | None:
    """The media type the bytes really are, or None when they are none of the accepted kinds."""
    if content.startswith(b"%PDF-"):
        return MEDIA_TYPES["pdf"]
    if content.startswith(b"\xff\xd8\xff"):
        return MEDIA_TYPES["jpeg"]
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return MEDIA_TYPES["png"]
    if content.startswith(b"PK\x03\x04") and _is_xlsx(content):
        return MEDIA_TYPES["xlsx"]
    return None


def _is_xlsx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def safe_filename(name: str | None) -> str:
    """The last path part, printable, at most 200 characters; `document` when nothing is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')
    kept = kept.encode("utf-8", "ignore").decode("utf-8").strip(" .")
    return kept[:200] or "document"
