"""Bytes to text for the readers: license files, cards and other documents, decoded one way.

UTF-16 with a byte-order mark, else UTF-8 (a BOM is dropped), else Windows-1252 as a best effort,
said in a warning. Binary data (NUL bytes, or many control characters) is refused with an
UnreadableError that names the file.
"""

from __future__ import annotations

from pathlib import Path

from openscope.errors import UnreadableError
from openscope.text.bounded import read_bounded
from openscope.text.sentences import MAX_TEXT_CHARS
from openscope.types import ReportWarning

MAX_LICENSE_BYTES = 1_000_000  # real licenses are under 100 KB; a bigger file is cut and analysed in part
MAX_TEXT_BYTES = 2_000_000
# Every decoding gives at most one character per byte, so no text read under these caps can pass spaCy's
# max_length (MAX_TEXT_CHARS, the one text-size cap); decode_text cuts there anyway for text from elsewhere.
assert MAX_LICENSE_BYTES <= MAX_TEXT_BYTES <= MAX_TEXT_CHARS
_PROBE = 8192


def decode_text(data: bytes, label: str, *, cut: bool = False, what: str = "text") -> tuple[str, list[ReportWarning]]:
    """(text, warnings) of `data`; `cut`: the data was truncated, so a character split at its end is dropped."""
    text, warnings = _decode(data, label, cut=cut, what=what)
    if len(text) > MAX_TEXT_CHARS:
        warnings.append(ReportWarning("truncated", f"{label}: longer than {MAX_TEXT_CHARS:,} characters; "
                                                   "only the first part was analysed"))
        text = text[:MAX_TEXT_CHARS]
    return text, warnings


def _decode(data: bytes, label: str, *, cut: bool, what: str) -> tuple[str, list[ReportWarning]]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            pass
    head = data[:_PROBE]
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if b"\x00" in head or controls > len(head) // 20:
        raise UnreadableError(label, f"{label}: binary file, not a {what}")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        if cut and len(data) - exc.start <= 3:
            return data[:exc.start].decode("utf-8-sig"), []  # the cut fell inside a character
    warning = ReportWarning("encoding", f"{label}: not valid UTF-8; decoded as Windows-1252 (best effort)")
    return data.decode("cp1252", errors="replace"), [warning]


def decode_license_bytes(data: bytes, label: str) -> tuple[str, list[ReportWarning]]:
    """Bytes of a license file -> (text, warnings). Raises UnreadableError for empty or binary input."""
    warnings: list[ReportWarning] = []
    if not data.strip():
        raise UnreadableError(label, f"{label}: empty file, nothing to analyse")
    cut = len(data) > MAX_LICENSE_BYTES
    if cut:
        data = data[:MAX_LICENSE_BYTES]
        warnings.append(ReportWarning(
            "truncated", f"{label}: larger than {MAX_LICENSE_BYTES // 1_000_000} MB; only the first "
                         f"{MAX_LICENSE_BYTES // 1_000_000} MB was analysed"))
    text, more = decode_text(data, label, cut=cut, what="license text")
    return text, warnings + more


def read_text_file(path: Path, *, label: str | None = None, warnings: list[ReportWarning] | None = None) -> str:
    """Read a text file for analysis; raise UnreadableError naming it on any problem.

    Decoding notes (a legacy encoding) go to `warnings` when the caller keeps them."""
    label = label or str(path)
    data, _ = read_bounded(path, MAX_TEXT_BYTES, label=label)  # refuses devices, FIFOs and huge files unread
    text, notes = decode_text(data, label)
    if warnings is not None:
        warnings.extend(notes)
    return text
