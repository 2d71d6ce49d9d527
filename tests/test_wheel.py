"""`pip install .` (not only editable) must ship the catalog, rules and registry inside the package."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "openscope"
DATA_SUFFIXES = {".yaml", ".yml", ".json", ".txt", ".toml"}


@pytest.mark.slow
def test_wheel_contains_all_package_data(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    # project.license is an SPDX expression string: setuptools has nothing to deprecate.
    assert "SetuptoolsDeprecationWarning" not in proc.stdout + proc.stderr
    wheel = next(tmp_path.glob("openscope-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "openscope/" + p.relative_to(PKG).as_posix()
        for p in PKG.rglob("*")
        if p.is_file() and (p.suffix in DATA_SUFFIXES or p.name == "SNAPSHOT") and "__pycache__" not in p.parts
    }
    assert "openscope/licenses/flags.yaml" in expected
    assert any(n.startswith("openscope/licenses/catalog/") for n in expected)
    missing = sorted(expected - names)
    assert not missing, f"wheel lacks package data: {missing[:10]}"
    assert "openscope/cli/__init__.py" in names
    assert "openscope/sources/registry_build.py" in names  # `openscope registry build` works from a wheel
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "openscope = openscope.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
