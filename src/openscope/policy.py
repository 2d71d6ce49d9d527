"""The policy (SPEC §6): load and validate it strictly, then judge a report against it.

A policy is TOML: `openscope.toml`, or `[tool.openscope]` in `pyproject.toml`, found from the current
directory upward, or given with `--policy`. It may start from a shipped `preset` and `extend` files
shared across repositories; its own keys override theirs key by key. Every problem in any of these
files is a PolicyError (exit 2) that names the file, the key and what is wrong, so a typo can never
silently weaken the gate. The shape of a policy file is one pydantic model (`policy_schema()` is its
JSON Schema); the messages are openscope's own.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

from openscope.data import DATA_DIR
from openscope.errors import ExitCode, PolicyError
from openscope.types import PolicyResult, Report, Violation, Waiver, locations_by_model, model_name
from openscope.vocabulary import SPECTRUM_VALUES, flag_names, format_thresholds

POLICY_FILE = "openscope.toml"
PYPROJECT = "pyproject.toml"
POLICIES_DIR = DATA_DIR / "policies"
DEFAULT_POLICY = POLICIES_DIR / "default.toml"
PRESETS_DIR = POLICIES_DIR / "presets"
STARTER_POLICY = POLICIES_DIR / "starter.toml"
LICENSE_GROUPS = POLICIES_DIR / "license_groups.yaml"
UNKNOWN_MODES = ("fail", "warn")
ALLOWABLE_SPECTRA = tuple(s for s in SPECTRUM_VALUES if s != "unknown")
# Rules an exception (or an inline `# openscope: ignore[...]`) can waive besides the 12 flags;
# "exception-expired" is reported, never waived.
WAIVABLE_RULES = ("spectrum", "unknown", "license")
_KEYS = ("allow-spectrum", "deny-flags", "warn-flags", "unknown", "allow-licenses", "deny-licenses", "exceptions",
         "preset", "extend")
# Keys of the same table that `scan` reads (declared model lists, exclusions); accepted here, validated
# there, and never inherited through `preset` / `extend`.
SCAN_KEYS = ("models", "models-files", "exclude")
_EXCEPTION_KEYS = ("model", "flags", "reason", "expires")
MAX_EXTEND_DEPTH = 8


@dataclass(frozen=True)
class PolicyException:
    model: str  # a model id, or a glob such as "meta-llama/*"
    rules: tuple[str, ...]  # flag names, or "spectrum" / "unknown" / "license"
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
    # None: every license is allowed; otherwise license keys, families and categories (validated).
    allow_licenses: tuple[str, ...] | None = None
    deny_licenses: tuple[str, ...] = ()
    # What the policy was built from, nearest last: "preset commercial-saas", "org.toml", "openscope.toml".
    layers: tuple[str, ...] = field(default=(), compare=False)


# ---------------------------------------------------------------- the schema


def _flag_literal():
    from typing import Literal

    return Literal[flag_names()]


@functools.cache
def _models():
    """The pydantic models of a policy file, built once (flag names come from data)."""
    from typing import Any, Literal, Optional, Union

    from pydantic import BaseModel, ConfigDict, Field

    flag = _flag_literal()
    rule = Literal[(*flag_names(), *WAIVABLE_RULES)]
    spectrum = Literal[ALLOWABLE_SPECTRA]

    class ExceptionEntry(BaseModel):
        """A reviewed, time-boxed waiver of rules for the models a glob matches."""

        model_config = ConfigDict(extra="forbid", strict=True)
        model: str = Field(description='A model id or a glob such as "meta-llama/*" (case-insensitive).',
                           min_length=1)
        flags: list[rule] = Field(min_length=1, description='Flag names, "spectrum", "unknown" or "license".')
        reason: str = Field(min_length=1, description="Why it was granted: who approved it, the ticket.")
        expires: Optional[dt.date] = Field(None, description="A TOML date (unquoted); the last day it holds.")

    class PolicyFile(BaseModel):
        """An openscope policy: openscope.toml, or [tool.openscope] in pyproject.toml."""

        model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False,
                                  title="openscope policy")
        preset: Optional[Literal[tuple(preset_names())]] = Field(
            None, description="Start from a policy shipped with openscope; keys below override it.")
        extend: Optional[Union[str, list[str]]] = Field(
            None, description="Start from these policy files (paths relative to this file), after the preset.")
        allow_spectrum: Optional[list[spectrum]] = Field(None, alias="allow-spectrum",
                                                         description="Spectra a model may sit on.")
        deny_flags: Optional[list[flag]] = Field(None, alias="deny-flags", description="Flags that fail the check.")
        warn_flags: Optional[list[flag]] = Field(None, alias="warn-flags", description="Flags that are shown only.")
        unknown: Optional[Literal[UNKNOWN_MODES]] = Field(
            None, description="What a model whose terms or spectrum could not be established is.")
        allow_licenses: Optional[list[str]] = Field(
            None, alias="allow-licenses", description="License ids, families or categories allowed; others fail.")
        deny_licenses: Optional[list[str]] = Field(
            None, alias="deny-licenses", description="License ids, families or categories that fail the check.")
        exceptions: Optional[list[ExceptionEntry]] = Field(None, description="Reviewed waivers.")
        models: Optional[Any] = Field(None, description="Declared model ids (read by scan).")
        models_files: Optional[Any] = Field(None, alias="models-files",
                                            description="Files of declared model ids (read by scan).")
        exclude: Optional[Any] = Field(None, description="Paths not to scan, gitignore syntax (read by scan).")

    return PolicyFile


def policy_schema() -> dict:
    """JSON Schema of a policy file (`openscope schema --kind policy`), generated from the pydantic model."""
    schema = _models().model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _key_path(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_MISSING = {
    "model": 'missing or empty: give a model id or a glob such as "org/*"',
    "flags": 'missing: list the flags this exception waives (or "spectrum" / "unknown" / "license")',
    "reason": "missing or empty: say why the exception was granted (who approved it, ticket)",
}


def _problem(err: dict, data: dict) -> tuple[str, str]:
    """(key path, message) for the first pydantic error, in openscope's words."""
    loc, kind, value = tuple(err["loc"]), err["type"], err.get("input")
    top = loc[0] if loc else None
    in_exception = top == "exceptions" and len(loc) >= 3 and isinstance(loc[1], int)
    field_name = loc[2] if in_exception else None
    list_keys = ("allow-spectrum", "deny-flags", "warn-flags", "allow-licenses", "deny-licenses")
    if kind == "extra_forbidden":
        expected = _EXCEPTION_KEYS if in_exception else _KEYS + SCAN_KEYS
        return _key_path(loc), f"unknown key; expected one of {', '.join(expected)}"
    if in_exception:
        key = _key_path(loc[:3])
        if field_name == "expires":
            hint = " (write it unquoted, like 2027-06-30)" if isinstance(value, str) else ""
            return key, f"must be a TOML date such as 2027-06-30, got {value!r}{hint}"
        if kind == "missing" or (kind == "string_too_short" and field_name in _MISSING):
            return key, _MISSING.get(field_name, "missing")
        if field_name == "model" or field_name == "reason":
            return key, _MISSING[field_name] if not str(value).strip() else f"must be a string, got {value!r}"
        if field_name == "flags":
            if kind == "literal_error":
                return key, f"unknown flag {value!r}; expected a flag name, \"spectrum\", \"unknown\" or \"license\""
            return key, f"must be a non-empty array of strings, got {value!r}"
    if top == "exceptions":
        if len(loc) >= 2 and isinstance(loc[1], int):
            return _key_path(loc[:2]), "must be a table with model, flags, reason and expires"
        return "exceptions", "must be an array of tables: write each one as [[exceptions]]"
    if top in list_keys:
        if kind == "literal_error" and isinstance(value, str):
            if top == "allow-spectrum":
                if value == "unknown":
                    return top, '"unknown" cannot be allowed here; set unknown = "warn" to only report such models'
                return top, f"unknown spectrum {value!r}; expected one of {', '.join(ALLOWABLE_SPECTRA)}"
            return top, f"unknown flag {value!r}; expected one of {', '.join(flag_names())}"
        whole = data.get(top)
        return top, f"must be an array of strings, got {type(whole).__name__}: {whole!r}"
    if top == "unknown":
        return top, f'must be "fail" or "warn", got {value!r}'
    if top == "preset":
        return top, f"unknown preset {value!r}; expected one of {', '.join(preset_names())}"
    if top == "extend":
        return top, f"must be a path or an array of paths, got {value!r}"
    return _key_path(loc) or "policy", err.get("msg", "invalid")


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
            table = _pyproject_table(candidate, _read_toml(candidate))
            if table is not None:
                return candidate, table
    return None


def _pyproject_table(path: Path, data: dict):
    """[tool.openscope] of a parsed pyproject.toml, or None; `tool = "x"` is an error, not a crash."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise PolicyError(_display(path), "tool", f"must be a table ([tool.openscope] lives in it), got {tool!r}")
    return tool.get("openscope")


def load_policy(path: str | Path | None = None, *, start: Path | None = None) -> Policy:
    """Load `path` (a policy file, or a pyproject.toml), else the nearest policy, else the default."""
    if path is not None:
        path = Path(path)
        data = _read_toml(path)
        if path.name == PYPROJECT:
            data = _pyproject_table(path, data)
            if data is None:
                raise PolicyError(_display(path), "tool.openscope", "no [tool.openscope] table in this pyproject.toml")
        return parse_policy(data, path)
    found = find_policy(start)
    if found is None:
        # openscope's own file, validated by the test suite (tests/test_policy.py): not again on every run,
        # which kept pydantic on the warm path of `check`
        policy = parse_policy(_read_shipped(DEFAULT_POLICY), DEFAULT_POLICY, trusted=True)
        return replace(policy, source="<built-in default>", builtin=True)
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


def _read_shipped(path: Path) -> dict:
    """A policy file shipped with openscope (the default, a preset): its parsed form from the data index
    while that still matches the file (no TOML parser on the warm path of `check`), else the file itself."""
    from openscope.data import indexed

    data = indexed(path)
    return data if isinstance(data, dict) else _read_toml(path)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@functools.cache
def preset_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in PRESETS_DIR.glob("*.toml")))


def preset_path(name: str) -> Path:
    return PRESETS_DIR / f"{name}.toml"


@dataclass
class _Layer:
    """One file's own keys, validated: what it sets, and where it was read."""

    shown: str
    prefix: str
    values: dict


def parse_policy(data, path: Path | str, *, trusted: bool = False) -> Policy:
    """Validate a policy table strictly (with its preset and extended files); every problem names file and key.
    `trusted`: a file shipped with openscope, whose schema checks the tests run; only merged here."""
    path = Path(path)
    layers = _layers(data, path, chain=(), trusted=trusted)
    policy = _merge(layers)
    return replace(policy, source=_display(path))


def _validate(data, path: Path, shown: str, trusted: bool = False) -> _Layer:
    prefix = "tool.openscope." if path.name == PYPROJECT else ""
    if not isinstance(data, dict):
        raise PolicyError(shown, prefix.rstrip(".") or None, "the policy must be a table of keys")
    if trusted:
        return _layer(data, shown, prefix)
    from pydantic import ValidationError

    # TOML has no null, but a policy given as data (JSON, the API) may: a key left empty is a mistake.
    empty = next((k for k, v in data.items() if v is None), None)
    if empty is not None:
        raise PolicyError(shown, prefix + str(empty), "has no value; give one or leave the key out")
    try:
        _models().model_validate(data)
    except ValidationError as exc:
        key, problem = _problem(exc.errors()[0], data)
        raise PolicyError(shown, prefix + key, problem) from None
    both = sorted(set(data.get("deny-flags") or ()) & set(data.get("warn-flags") or ()))
    if both:
        raise PolicyError(shown, prefix + "warn-flags",
                          f"{both[0]!r} is also in deny-flags; list each flag in one of them")
    for key in ("allow-licenses", "deny-licenses"):
        for name in data.get(key) or ():
            problem = license_name_problem(name)
            if problem:
                raise PolicyError(shown, prefix + key, problem)
    return _layer(data, shown, prefix)


def _layer(data: dict, shown: str, prefix: str) -> _Layer:
    values = {k: v for k, v in data.items() if k not in SCAN_KEYS}
    if "exceptions" in values:
        values["exceptions"] = [_exception(e) for e in values["exceptions"]]
    return _Layer(shown, prefix, values)


def _exception(raw: dict) -> PolicyException:
    return PolicyException(model=raw["model"].strip(), rules=tuple(dict.fromkeys(raw["flags"])),
                           reason=raw["reason"].strip(), expires=raw.get("expires"))


def _layers(data, path: Path, chain: tuple[Path, ...], trusted: bool = False) -> list[_Layer]:
    """The preset's layer, each extended file's layers, then this file's own: nearest last."""
    shown = _display(path)
    own = _validate(data, path, shown, trusted)
    for key in ("model", "reason"):  # whitespace-only strings pass min_length; say so like an empty one
        for i, e in enumerate(data.get("exceptions") or ()):
            if not str(e.get(key, "")).strip():
                raise PolicyError(shown, f"{own.prefix}exceptions[{i}].{key}", _MISSING[key])
    out: list[_Layer] = []
    preset = own.values.pop("preset", None)
    if preset is not None:
        target = preset_path(preset)
        out += _layers(_read_shipped(target), target, (*chain, path), trusted=True)  # shipped with openscope
        out[-1].shown = f"preset {preset}"
    extends = own.values.pop("extend", None)
    for i, ref in enumerate([extends] if isinstance(extends, str) else extends or []):
        key = own.prefix + ("extend" if isinstance(extends, str) else f"extend[{i}]")
        if "://" in ref:
            raise PolicyError(shown, key, f"{ref!r}: URLs are not fetched; give a path to a policy file "
                                          "(shared through a git submodule or a checkout)")
        target = (path.parent / ref).resolve() if not Path(ref).is_absolute() else Path(ref)
        if target in (*chain, path.resolve()):
            cycle = " -> ".join(map(_display, chain))
            raise PolicyError(shown, key, f"{ref!r} extends itself (a cycle through {cycle})")
        if len(chain) >= MAX_EXTEND_DEPTH:
            raise PolicyError(shown, key, f"more than {MAX_EXTEND_DEPTH} files extend one another")
        if not target.is_file():
            raise PolicyError(shown, key, f"{ref!r}: no such policy file (paths are relative to {shown})")
        table = _read_toml(target)
        if target.name == PYPROJECT:
            table = _pyproject_table(target, table)
            if table is None:
                raise PolicyError(_display(target), "tool.openscope",
                                  "no [tool.openscope] table in this pyproject.toml")
        out += _layers(table, target, (*chain, path.resolve()))
    out.append(own)
    return out


def _merge(layers: list[_Layer]) -> Policy:
    """Later layers override earlier ones key by key; exceptions add up; a flag a nearer file lists
    in deny-flags or warn-flags leaves the other list it inherited."""
    deny: list[str] = []
    warn: list[str] = []
    settings: dict = {}
    exceptions: list[PolicyException] = []
    for layer in layers:
        v = layer.values
        if "deny-flags" in v:
            deny = list(v["deny-flags"])
            warn = [f for f in warn if f not in deny]
        if "warn-flags" in v:
            warn = list(v["warn-flags"])
            deny = [f for f in deny if f not in warn]
        for key in ("allow-spectrum", "unknown", "allow-licenses", "deny-licenses"):
            if key in v:
                settings[key] = v[key]
        exceptions += v.get("exceptions", [])
    return Policy(
        allow_spectrum=tuple(dict.fromkeys(settings.get("allow-spectrum", ALLOWABLE_SPECTRA))),
        deny_flags=tuple(dict.fromkeys(deny)), warn_flags=tuple(dict.fromkeys(warn)),
        unknown=settings.get("unknown", "fail"), exceptions=tuple(exceptions),
        allow_licenses=(tuple(dict.fromkeys(settings["allow-licenses"])) if "allow-licenses" in settings else None),
        deny_licenses=tuple(dict.fromkeys(settings.get("deny-licenses", ()))),
        layers=tuple(layer.shown for layer in layers),
    )


def starter_policy() -> str:
    """The commented starter policy `openscope init` writes."""
    return STARTER_POLICY.read_text(encoding="utf-8")


# ---------------------------------------------------------------- license families and categories


@functools.cache
def _license_groups() -> dict:
    from openscope.data import load_yaml

    raw = load_yaml(LICENSE_GROUPS)
    return {"families": raw.get("families") or {}, "categories": raw.get("categories") or {}}


@functools.cache
def license_group_names() -> dict[str, tuple[str, ...]]:
    """Names a policy may write besides license keys: {"families": (...), "categories": (...)}."""
    from openscope.catalog import load_catalog

    groups = _license_groups()
    families = {e.family for e in load_catalog() if e.family} | set(groups["families"])
    return {"families": tuple(sorted(families)), "categories": tuple(groups["categories"])}


def license_name_problem(name: str) -> str | None:
    """Why `name` is no license key, family or category (with the nearest names), or None."""
    from openscope.catalog import load_catalog

    if not isinstance(name, str) or not name.strip():
        return f"expected a license id, family or category, got {name!r}"
    names = license_group_names()
    catalog = load_catalog()
    if name in names["families"] or name in names["categories"] or catalog.lookup(name) or catalog.known(name):
        return None
    import difflib

    choices = [e.key for e in catalog] + list(names["families"]) + list(names["categories"])
    near = difflib.get_close_matches(name.lower(), choices, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(map(repr, near))}?" if near else ""
    return (f"unknown license, family or category {name!r}{hint} (categories: {', '.join(names['categories'])}; "
            "families are the catalog's, e.g. llama, gemma, openrail, cc-nc)")


def _meets(cond: dict, entry, scancode_category: str | None) -> bool:
    if "scancode_category" in cond:
        if entry.catalogued or scancode_category not in cond["scancode_category"]:
            return False
    if "key" in cond and not any(fnmatch.fnmatchcase(entry.key.lower(), g) for g in cond["key"]):
        return False
    if "family" in cond and entry.family not in cond["family"]:
        return False
    if "not_family" in cond and entry.family in cond["not_family"]:
        return False
    if "kind" in cond and entry.kind != cond["kind"]:
        return False
    if "osi_approved" in cond and (not entry.catalogued or entry.osi_approved != cond["osi_approved"]):
        return False
    if "flag" in cond and cond["flag"] not in entry.flag_set:
        return False
    return True


def _in_group(group: dict, entry, scancode_category: str | None) -> bool:
    return (any(_meets(c, entry, scancode_category) for c in group.get("any") or ())
            and not any(_meets(c, entry, scancode_category) for c in group.get("except") or ()))


def license_groups_of(key: str) -> set[str]:
    """Every name a policy could use for the license `key`: the key and its aliases' key, family, categories."""
    from openscope.catalog import licensedb_entry, load_catalog

    catalog = load_catalog()
    entry = catalog.known(key)
    if entry is None:
        return {key}
    facts = licensedb_entry(entry.scancode_key) if not entry.catalogued and entry.scancode_key else None
    category = facts.category if facts else None
    groups = _license_groups()
    out = {key, entry.key}
    if entry.family:
        out.add(entry.family)
    out |= {n for n, g in groups["families"].items() if _in_group(g, entry, category)}
    out |= {n for n, g in groups["categories"].items() if _in_group(g, entry, category)}
    return out


def _policy_license_key(name: str) -> str:
    """A policy's license name as the catalog key it means (aliases such as "Apache-2.0" included)."""
    from openscope.catalog import load_catalog

    names = license_group_names()
    if name in names["families"] or name in names["categories"]:
        return name  # "llama" is the family, even where a license also answers to it
    entry = load_catalog().lookup(name)
    return entry.key if entry is not None else name


def governing_licenses(model) -> list[str]:
    """The license keys that govern a model: its own, the one its weights are under, each one its card lists."""
    ids = [model.license.id if model.license else None,
           model.effective_license.id if getattr(model, "effective_license", None) else None,
           *(lic.id for lic in getattr(model, "licenses", None) or ())]
    return list(dict.fromkeys(i for i in ids if i))


def _license_findings(policy: Policy, model, name: str):
    if policy.allow_licenses is None and not policy.deny_licenses:
        return
    deny = {_policy_license_key(n) for n in policy.deny_licenses}
    allow = {_policy_license_key(n) for n in policy.allow_licenses} if policy.allow_licenses is not None else None
    for key in governing_licenses(model):
        groups = license_groups_of(key)
        hit = sorted(groups & deny)
        if hit:
            yield "license", "error", f"{name}: license {key} is denied by deny-licenses ({', '.join(hit)})"
        elif allow is not None and not groups & allow:
            yield "license", "error", (f"{name}: license {key} is not in allow-licenses "
                                       f"({', '.join(policy.allow_licenses) or 'empty'})")


# ---------------------------------------------------------------- judging


def _flag_label(f) -> str:
    label = f.flag
    if f.thresholds:
        label += f" ({format_thresholds(f.thresholds)})"
    if f.inherited_from:
        label += f", inherited from {f.inherited_from}"
    return label


def _unknown_why(model) -> str | None:
    if model.error is not None:
        return f"could not be assessed ({model.error.code}: {model.error.message})"
    if model.spectrum == "unknown":
        return "spectrum is unknown (" + ("; ".join(model.reasons) or "not enough evidence") + ")"
    status = getattr(model, "license_status", "known")
    if status != "known":
        what = "not read" if status == "not-read" else "unknown"
        return f"its terms are {what} ({model.license_status_reason or 'no license established'})"
    return None


def _findings(policy: Policy, model):
    """(rule, severity, message) for every way the model breaks the policy, before exceptions."""
    name = model_name(model)
    why = _unknown_why(model)
    if why is not None:
        severity = "error" if policy.unknown == "fail" else "warning"
        yield "unknown", severity, f"{name}: {why}; unknown = \"{policy.unknown}\""
    if model.error is None and model.spectrum != "unknown" and model.spectrum not in policy.allow_spectrum:
        alternative = ""
        if getattr(model, "alternatives", None):
            alternative = (f"; its weights are published as {', '.join(model.alternatives)} (open-weights, "
                           "under that repository's license, if you host them yourself)")
        yield "spectrum", "error", (f"{name}: spectrum {model.spectrum} is not in allow-spectrum "
                                    f"({', '.join(policy.allow_spectrum) or 'empty'}){alternative}")
    yield from _license_findings(policy, model, name)
    for f in model.flags:
        if f.flag in policy.deny_flags:
            yield f.flag, "error", f"{name}: {_flag_label(f)} is denied by deny-flags"
        elif f.flag in policy.warn_flags:
            yield f.flag, "warning", f"{name}: {_flag_label(f)} is listed in warn-flags"


def _inline_ignore(rule: str, places: list) -> str | None:
    """The waiver reason when every place the model is referenced says `# openscope: ignore[rule]`."""
    if not places or not all(rule in (loc.ignore or ()) for loc in places):
        return None
    where = ", ".join(f"{loc.path}:{loc.line}" for loc in places[:3]) + (" ..." if len(places) > 3 else "")
    return f"# openscope: ignore[{rule}] at {where}"


def apply_policy(policy: Policy, report: Report, today: dt.date | None = None) -> PolicyResult:
    """Judge every model; a valid exception or an inline ignore waives a rule, an expired exception is
    itself a violation."""
    today = today or dt.date.today()
    result = PolicyResult(passed=True, source=policy.source)
    places_of = locations_by_model(report)
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
            inline = _inline_ignore(rule, places_of.get(name, []))
            if inline is not None:
                result.waived.append(Waiver(model=name, rule=rule, reason=inline))
                continue
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


def fail_on_policy(names) -> Policy:
    """The policy `--fail-on` makes for `audit` / `scan`: flag names, spectra and "unknown" that fail."""
    from openscope.errors import InputError

    wanted = [n.strip() for item in names for n in str(item).split(",") if n.strip()]
    known = (*flag_names(), *SPECTRUM_VALUES)
    for n in wanted:
        if n not in known:
            raise InputError(f"--fail-on: unknown rule {n!r}; expected flag names ({', '.join(flag_names())}), "
                             f"spectra ({', '.join(ALLOWABLE_SPECTRA)}) or unknown")
    return Policy(allow_spectrum=tuple(s for s in ALLOWABLE_SPECTRA if s not in wanted),
                  deny_flags=tuple(n for n in wanted if n in flag_names()),
                  unknown="fail" if "unknown" in wanted else "warn", source="--fail-on " + ",".join(wanted))


def apply_fail_on(policy: Policy, report: Report) -> PolicyResult:
    """`--fail-on`: only what was asked for is a violation (no warnings for what was not)."""
    result = apply_policy(policy, report)
    result.violations = [v for v in result.violations if v.severity == "error"]
    return result


def exit_code(report: Report, *, warn_only: bool = False, gate: bool = True) -> ExitCode:
    """The exit code, agreeing with the verdict's words.

    `check` (gate): 0 when the policy passed (warnings, waived rules and unknowns under
    unknown = "warn" included); 3 when it failed only because of models whose terms or spectrum could
    not be established (unknown = "fail"); 1 when anything else failed it. `audit` / `scan` (not a gate):
    1 when `--fail-on` matched something else than unknowns, else 3 when a model could not be assessed
    or only unknowns matched, else 0."""
    if warn_only:
        return ExitCode.OK
    result = report.policy
    errors = [v for v in result.violations if v.severity == "error"] if result is not None else []
    # An expired exception over `unknown` is still an unknown; one over anything else is a violation.
    unknown_only = all(v.rule == "unknown" or (v.rule == "exception-expired" and "; unknown = " in v.message)
                       for v in errors)
    if errors and not unknown_only:
        return ExitCode.POLICY_VIOLATED
    if errors:
        return ExitCode.UNASSESSED
    if not gate:
        waived = {w.model for w in result.waived if w.rule == "unknown"} if result is not None else set()
        if any(m.error is not None and model_name(m) not in waived for m in report.models):
            return ExitCode.UNASSESSED
    return ExitCode.OK
