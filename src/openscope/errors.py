"""One error root for openscope, typed like huggingface_hub's errors.

Two families:
- `InputError` and friends abort a command (bad policy file, unreadable path given on the command
  line, bad option): exit code 2.
- `ModelError` subclasses are per-model: they are recorded in that model's report entry (`error`)
  and never stop the batch; a run with any of them exits 3.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    POLICY_VIOLATED = 1
    USAGE = 2
    UNASSESSED = 3


class OpenscopeError(Exception):
    """Root of every error openscope raises on purpose."""

    exit_code: ExitCode = ExitCode.USAGE


class InputError(OpenscopeError):
    """Bad configuration or input that stops the command (exit 2): names file, key or line."""


class PolicyError(InputError):
    """An invalid policy file."""

    def __init__(self, path, key: str | None, problem: str):
        self.path, self.key, self.problem = str(path), key, problem
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        super().__init__(where + problem)


class CatalogError(OpenscopeError):
    """The bundled license catalog or registry is malformed (a bug in openscope's data)."""


class ModelError(OpenscopeError):
    """A model that could not be assessed. `code` is the SPEC §5 `error.code`."""

    exit_code = ExitCode.UNASSESSED
    code = "unreadable"

    def __init__(self, ref: str, message: str):
        self.ref = ref
        super().__init__(message)


class InvalidRefError(ModelError):
    code = "invalid-ref"


class ModelNotFoundError(ModelError):
    code = "not-found"


class GatedModelError(ModelError):
    code = "gated"


class NetworkError(ModelError):
    code = "network"


class UnreadableError(ModelError):
    code = "unreadable"


class InternalError(ModelError):
    """An unexpected exception inside one model's work (a bug in openscope): recorded, the batch goes on."""

    code = "internal"


_URL_CREDENTIALS = None


def redact(text: str) -> str:
    """`text` with the credentials of every URL in it (`http://user:pass@mirror`) replaced by `***`.
    The one redaction: every message, report and record that may hold an endpoint goes through it."""
    global _URL_CREDENTIALS
    if "@" not in text:
        return text
    if _URL_CREDENTIALS is None:
        import re

        _URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]*@")
    return _URL_CREDENTIALS.sub(r"\1***@", text)


DEBUG_ENV = "OPENSCOPE_DEBUG"  # set by `openscope --debug`: tracebacks of internal errors go to stderr


def debug_enabled() -> bool:
    import os

    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def one_line(text: str, limit: int = 300) -> str:
    """`text` on one line of at most `limit` characters: an exception's words can be anything."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def internal_error(ref: str, exc: BaseException) -> InternalError:
    """The InternalError for an unexpected `exc` while handling `ref`; prints the traceback under --debug."""
    if debug_enabled():
        import sys
        import traceback

        print(f"openscope: debug: traceback for {one_line(ref, 200)}:", file=sys.stderr)
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        print(redact("".join(lines)), file=sys.stderr, end="")
    detail = redact(one_line(str(exc), 200))
    message = f"{one_line(ref, 200)}: internal error ({type(exc).__name__}{': ' + detail if detail else ''}); " \
              "please report it (--debug shows the traceback)"
    return InternalError(ref, message)
