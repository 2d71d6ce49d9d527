"""The one bounded reader: every file and stream openscope reads from a repository or a user goes through here.

A repository is untrusted input (docs/security.md): a name may be a device (`/dev/zero`), a FIFO that
blocks `open` forever, a sparse file of a terabyte, a symlink out of the tree. So a file is opened
without blocking, must be a regular file, and is sized by `fstat` before a byte is read; a stream
(stdin, a pipe) is read in chunks up to the cap and never further.
"""

from __future__ import annotations

import os
import stat

from openscope.errors import UnreadableError

CHUNK = 1 << 16


def _mb(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def _refuse(error, label: str, problem: str):
    return error(f"{label}: {problem}") if error is not None else UnreadableError(label, f"{label}: {problem}")


def read_bounded(path, cap: int, *, label: str | None = None, truncate: bool = False,
                 error=None) -> tuple[bytes, bool]:
    """(bytes, cut) of the regular file `path`, at most `cap` bytes.

    Above `cap`: with `truncate`, the first `cap` bytes and cut=True; otherwise refused. Anything not a
    regular file (folder, device, FIFO, socket) is refused before it is read. A refusal raises
    `error(message)` when given (e.g. InputError), else UnreadableError naming `label`.
    """
    label = label if label is not None else os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: opening a FIFO must not wait for a writer
    except OSError as exc:
        raise _refuse(error, label, f"cannot read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _refuse(error, label, "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(error, label, "not a regular file (a device, FIFO or socket), not read")
        if info.st_size > cap and not truncate:
            raise _refuse(error, label, f"larger than {_mb(cap)} ({_mb(info.st_size)}), not read")
        return _read_fd(fd, cap, truncate, error, label, info.st_size)
    except OSError as exc:
        raise _refuse(error, label, f"cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def _read_fd(fd: int, cap: int, truncate: bool, error, label: str, size: int) -> tuple[bytes, bool]:
    chunks, total = [], 0
    want = min(size, cap) + 1  # one call for a regular file; one byte more shows it grew past the cap
    while True:
        chunk = os.read(fd, min(want if not chunks else CHUNK, cap + 1 - total))
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        total += len(chunk)
        if total > cap:
            if not truncate:
                raise _refuse(error, label, f"larger than {_mb(cap)}, not read")
            return b"".join(chunks)[:cap], True


def read_stream_bounded(stream, cap: int, *, label: str = "<stdin>", truncate: bool = False,
                        error=None) -> tuple[bytes, bool]:
    """(bytes, cut) of a binary stream, reading no more than `cap` + 1 bytes: endless input stops at the cap."""
    chunks, total = [], 0
    while total <= cap:
        chunk = stream.read(min(CHUNK, cap + 1 - total))
        if not chunk:
            return b"".join(chunks), False
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        chunks.append(chunk)
        total += len(chunk)
    if not truncate:
        raise _refuse(error, label, f"larger than {_mb(cap)}, not read")
    return b"".join(chunks)[:cap], True


def inside(path, root) -> bool:
    """Whether `path`, with every symlink resolved, lies under the resolved `root` (or is it)."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def expand_user(text: str):
    """`Path(text).expanduser()`, or the path as written when `~user` names no user (expanduser raises)."""
    from pathlib import Path

    try:
        return Path(text).expanduser()
    except (RuntimeError, KeyError, OSError):
        return Path(text)
