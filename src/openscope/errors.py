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
