"""The policy (SPEC §6): load and validate it strictly, then judge a report against it.

A policy is TOML: `openscope.toml`, or `[tool.openscope]` in `pyproject.toml`, found from the current
directory upward, or given with `--policy`. Every problem in it is a PolicyError (exit 2) that names
the file, the key and what is wrong, so a typo can never silently weaken the gate.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from openscope.data import DATA_DIR
from openscope.errors import ExitCode, PolicyError
from openscope.types import PolicyResult, Report, Violation, Waiver, model_name
from openscope.vocabulary import SPECTRUM_VALUES, flag_names, format_thresholds

POLICY_FILE = "openscope.toml"
PYPROJECT = "pyproject.toml"
DEFAULT_POLICY = DATA_DIR / "policies" / "default.toml"
UNKNOWN_MODES = ("fail", "warn")
ALLOWABLE_SPECTRA = tuple(s for s in SPECTRUM_VALUES if s != "unknown")
# Rules an exception can waive besides the 12 flags; "exception-expired" is reported, never waived.
WAIVABLE_RULES = ("spectrum", "unknown")
_KEYS = ("allow-spectrum", "deny-flags", "warn-flags", "unknown", "exceptions")
# Keys of the same table that `scan` reads (declared model lists); accepted here, validated there.
SCAN_KEYS = ("models", "models-files", "exclude")
_EXCEPTION_KEYS = ("model", "flags", "reason", "expires")


@dataclass(frozen=True)
class PolicyException:
    model: str  # a model id, or a glob such as "meta-llama/*"
    rules: tuple[str, ...]  # flag names, or "spectrum" / "unknown"
    reason: str
    expires: dt.date | None = None

    def matches(self, model) -> bool:
        pattern = self.model.lower()
        names = {n.lower() for n in (model.id, model.ref) if n}
        # API models are written with or without their provider: "gpt-4o" and "openai:gpt-4o".
        names |= {n.split(":", 1)[1] for n in names if model.kind == "api" and ":" in n}
        return any(fnmatch.fnmatchcase(n, pattern) for n in names)

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and self.expires < today


@dataclass(frozen=True)
class Policy:
    allow_spectrum: tuple[str, ...] = ALLOWABLE_SPECTRA
    deny_flags: tuple[str, ...] = ()
    warn_flags: tuple[str, ...] = ()
    unknown: str = "fail"
    exceptions: tuple[PolicyException, ...] = ()
    source: str = "<built-in>"
    builtin: bool = field(default=False, compare=False)


# ---------------------------------------------------------------- loading


def find_policy(start: Path | None = None) -> tuple[Path, dict] | None:
    """The nearest openscope.toml, or pyproject.toml with [tool.openscope], from `start` upward."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / POLICY_FILE
        if candidate.is_file():
            return candidate, _read_toml(candidate)
        candidate = folder / PYPROJECT
        if candidate.is_file():
            table = _read_toml(candidate).get("tool", {}).get("openscope")
            if table is not None:
                return candidate, table
    return None


def load_policy(path: str | Path | None = None, *, start: Path | None = None) -> Policy:
    """Load `path` (a policy file, or a pyproject.toml), else the nearest policy, else the default."""
    if path is not None:
        path = Path(path)
        data = _read_toml(path)
        if path.name == PYPROJECT:
            data = data.get("tool", {}).get("openscope")
            if data is None:
                raise PolicyError(_display(path), "tool.openscope", "no [tool.openscope] table in this pyproject.toml")
        return parse_policy(data, path)
    found = find_policy(start)
    if found is None:
        policy = parse_policy(_read_toml(DEFAULT_POLICY), DEFAULT_POLICY)
        return Policy(**{**policy.__dict__, "source": "<built-in default>", "builtin": True})
    return parse_policy(found[1], found[0])


MAX_POLICY_BYTES = 1_000_000


def _read_toml(path: Path) -> dict:
    import tomllib

    shown = _display(path)
    try:
        if path.exists() and not path.is_file() and not path.is_dir():  # a FIFO would block the open
            raise PolicyError(shown, None, "not a regular file (a device, FIFO or socket)")
        with open(path, "rb") as fh:
            data = fh.read(MAX_POLICY_BYTES + 1)
        if len(data) > MAX_POLICY_BYTES:
            raise PolicyError(shown, None, f"larger than {MAX_POLICY_BYTES // 1_000_000} MB, not a policy file")
        return tomllib.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise PolicyError(shown, None, "policy file not found") from None
    except IsADirectoryError:
        raise PolicyError(shown, None, "is a directory, not a policy file") from None
    except OSError as exc:
        raise PolicyError(shown, None, f"cannot read policy file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise PolicyError(shown, None, "not valid UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(shown, None, f"invalid TOML: {exc}") from None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def parse_policy(data, path: Path | str) -> Policy:
    """Validate a policy table strictly; every problem names file and key."""
    shown = _display(Path(path))
    in_pyproject = Path(path).name == PYPROJECT
    prefix = "tool.openscope." if in_pyproject else ""

    def fail(key: str | None, problem: str):
        raise PolicyError(shown, prefix + key if key else None, problem)

    if not isinstance(data, dict):
        fail(None, "the policy must be a table of keys")
    unknown_keys = [k for k in data if k not in _KEYS and k not in SCAN_KEYS]
    if unknown_keys:
        fail(unknown_keys[0], f"unknown key; expected one of {', '.join(_KEYS + SCAN_KEYS)}")

    allow = _name_list(data, "allow-spectrum", ALLOWABLE_SPECTRA, "spectrum", fail, default=ALLOWABLE_SPECTRA)
    if "unknown" in (data.get("allow-spectrum") or []):
        fail("allow-spectrum", '"unknown" cannot be allowed here; set unknown = "warn" to only report such models')
    deny = _name_list(data, "deny-flags", flag_names(), "flag", fail)
    warn = _name_list(data, "warn-flags", flag_names(), "flag", fail)
    both = sorted(set(deny) & set(warn))
    if both:
        fail("warn-flags", f"{both[0]!r} is also in deny-flags; list each flag in one of them")

    mode = data.get("unknown", "fail")
    if not isinstance(mode, str) or mode not in UNKNOWN_MODES:
        fail("unknown", f'must be "fail" or "warn", got {mode!r}')

    raw_exceptions = data.get("exceptions", [])
    if not isinstance(raw_exceptions, list):
        fail("exceptions", "must be an array of tables: write each one as [[exceptions]]")
    exceptions = tuple(_parse_exception(e, f"exceptions[{i}]", fail) for i, e in enumerate(raw_exceptions))
    return Policy(allow_spectrum=allow, deny_flags=deny, warn_flags=warn, unknown=mode,
                  exceptions=exceptions, source=shown)


def _name_list(data, key, known, what, fail, default=()):
    value = data.get(key, default)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        fail(key, f"must be an array of strings, got {type(value).__name__}: {value!r}")
    for name in value:
        if name not in known and not (what == "spectrum" and name == "unknown"):
            fail(key, f"unknown {what} {name!r}; expected one of {', '.join(known)}")
    return tuple(dict.fromkeys(value))


def _parse_exception(raw, key, fail) -> PolicyException:
    if not isinstance(raw, dict):
        fail(key, "must be a table with model, flags, reason and expires")
    extra = [k for k in raw if k not in _EXCEPTION_KEYS]
    if extra:
        fail(f"{key}.{extra[0]}", f"unknown key; expected one of {', '.join(_EXCEPTION_KEYS)}")
    model = raw.get("model")
    if not isinstance(model, str) or not model.strip():
        fail(f"{key}.model", "missing or empty: give a model id or a glob such as \"org/*\"")
    rules = raw.get("flags")
    if rules is None:
        fail(f"{key}.flags", "missing: list the flags this exception waives (or \"spectrum\" / \"unknown\")")
    if not isinstance(rules, list) or not rules or not all(isinstance(r, str) for r in rules):
        fail(f"{key}.flags", f"must be a non-empty array of strings, got {rules!r}")
    allowed = (*flag_names(), *WAIVABLE_RULES)
    for r in rules:
        if r not in allowed:
            fail(f"{key}.flags", f"unknown flag {r!r}; expected a flag name, \"spectrum\" or \"unknown\"")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        fail(f"{key}.reason", "missing or empty: say why the exception was granted (who approved it, ticket)")
    expires = raw.get("expires")
    if expires is not None:
        if isinstance(expires, dt.datetime) or not isinstance(expires, dt.date):
            hint = " (write it unquoted, like 2027-06-30)" if isinstance(expires, str) else ""
            fail(f"{key}.expires", f"must be a TOML date such as 2027-06-30, got {expires!r}{hint}")
    return PolicyException(model=model.strip(), rules=tuple(dict.fromkeys(rules)), reason=reason.strip(),
                           expires=expires)


# ---------------------------------------------------------------- judging


def _flag_label(f) -> str:
    label = f.flag
    if f.thresholds:
        label += f" ({format_thresholds(f.thresholds)})"
    if f.inherited_from:
        label += f", inherited from {f.inherited_from}"
    return label


def _findings(policy: Policy, model):
    """(rule, severity, message) for every way the model breaks the policy, before exceptions."""
    name = model_name(model)
    if model.error is not None or model.spectrum == "unknown":
        severity = "error" if policy.unknown == "fail" else "warning"
        why = (f"could not be assessed ({model.error.code}: {model.error.message})" if model.error
               else "spectrum is unknown (" + ("; ".join(model.reasons) or "not enough evidence") + ")")
        yield "unknown", severity, f"{name}: {why}; unknown = \"{policy.unknown}\""
    elif model.spectrum not in policy.allow_spectrum:
        yield "spectrum", "error", (f"{name}: spectrum {model.spectrum} is not in allow-spectrum "
                                    f"({', '.join(policy.allow_spectrum) or 'empty'})")
    for f in model.flags:
        if f.flag in policy.deny_flags:
            yield f.flag, "error", f"{name}: {_flag_label(f)} is denied by deny-flags"
        elif f.flag in policy.warn_flags:
            yield f.flag, "warning", f"{name}: {_flag_label(f)} is listed in warn-flags"


def apply_policy(policy: Policy, report: Report, today: dt.date | None = None) -> PolicyResult:
    """Judge every model; a valid exception waives a rule, an expired one is itself a violation."""
    today = today or dt.date.today()
    result = PolicyResult(passed=True, source=policy.source)
    # The same finding twice (a flag reached through two documents, a model referenced under two
    # spellings) is one violation; renderers show it at every location of that model.
    seen: set[tuple[str, str, str]] = set()
    for model in report.models:
        name = model_name(model)
        covering = [e for e in policy.exceptions if e.matches(model)]
        for rule, severity, message in _findings(policy, model):
            if (name, rule, message) in seen:
                continue
            seen.add((name, rule, message))
            live = next((e for e in covering if rule in e.rules and not e.expired(today)), None)
            if live is not None:
                expires = live.expires.isoformat() if live.expires else None
                result.waived.append(Waiver(model=name, rule=rule, reason=live.reason, expires=expires))
                continue
            stale = next((e for e in covering if rule in e.rules), None)
            if stale is not None:
                rule, message = "exception-expired", (
                    f"{message}; its exception expired on {stale.expires.isoformat()} "
                    f"(reason was: {stale.reason}): review it again and renew or remove it")
            result.violations.append(Violation(model=name, rule=rule, severity=severity, message=message))
    # Errors first, then by model, so the top of every output is what blocks the merge.
    result.violations.sort(key=lambda v: (v.severity != "error", v.model, v.rule))
    result.passed = not any(v.severity == "error" for v in result.violations)
    return result


def exit_code(report: Report, *, warn_only: bool = False) -> ExitCode:
    """0 passed; 1 violated; 3 passed only because unassessed models are warnings (unknown = "warn")."""
    if warn_only:
        return ExitCode.OK
    if report.policy is not None and not report.policy.passed:
        return ExitCode.POLICY_VIOLATED
    waived = {w.model for w in report.policy.waived if w.rule == "unknown"} if report.policy else set()
    if any(m.error is not None and model_name(m) not in waived for m in report.models):
        return ExitCode.UNASSESSED
    return ExitCode.OK
