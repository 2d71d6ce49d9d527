"""Bytes to text for the readers: license files, cards and other documents."""

from __future__ import annotations

from pathlib import Path

from openscope.errors import UnreadableError
from openscope.types import ReportWarning

MAX_LICENSE_BYTES = 1_000_000  # real licenses are under 100 KB; a bigger file is cut and analysed in part


def decode_license_bytes(data: bytes, label: str) -> tuple[str, list[ReportWarning]]:
    """Bytes of a license file -> (text, warnings). Raises UnreadableError for empty or binary input."""
    from openscope.errors import UnreadableError

    warnings: list[ReportWarning] = []
    if not data.strip():
        raise UnreadableError(label, f"{label}: empty file, nothing to analyse")
    if len(data) > MAX_LICENSE_BYTES:
        data = data[:MAX_LICENSE_BYTES]
        warnings.append(ReportWarning(
            "truncated", f"{label}: larger than {MAX_LICENSE_BYTES // 1_000_000} MB; only the first "
                         f"{MAX_LICENSE_BYTES // 1_000_000} MB was analysed"))
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), warnings
        except UnicodeDecodeError:
            pass
    head = data[:8192]
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if b"\x00" in head or controls > len(head) // 20:
        raise UnreadableError(label, f"{label}: binary file, not a license text")
    try:
        return data.decode("utf-8-sig"), warnings
    except UnicodeDecodeError as exc:
        if len(data) - exc.start <= 3 and len(data) == MAX_LICENSE_BYTES:
            return data[:exc.start].decode("utf-8-sig"), warnings  # the cut fell inside a character
    warnings.append(ReportWarning("encoding", f"{label}: not valid UTF-8; decoded as Windows-1252 (best effort)"))
    return data.decode("cp1252", errors="replace"), warnings


MAX_TEXT_BYTES = 2_000_000


def read_text_file(path: Path, *, label: str | None = None) -> str:
    """Read a text file for analysis; raise UnreadableError naming it on any problem."""
    label = label or str(path)
    try:
        data = path.read_bytes()[: MAX_TEXT_BYTES + 1]
    except OSError as exc:
        raise UnreadableError(label, f"{label}: cannot read ({exc.strerror or exc})") from None
    if len(data) > MAX_TEXT_BYTES:
        raise UnreadableError(label, f"{label}: larger than {MAX_TEXT_BYTES // 1_000_000} MB, not a license or card")
    if b"\x00" in data[:8192]:
        raise UnreadableError(label, f"{label}: binary file, not a text")
    for encoding in ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")  # best effort for legacy 8-bit encodings
