"""The one-way rule: a package of ``replay`` imports only the packages below it.

Every ``import`` in the source is read (lazy imports inside functions too), so a shortcut taken
"just this once" fails here with the file, the line and the rule it breaks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import replay

ROOT = Path(replay.__file__).parent

# Each package and the packages it may import (besides itself and the ``replay`` root module).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "cassette": {"core"},
    "protocols": {"core", "cassette"},
    "spec": {"core", "cassette", "protocols"},
    "sanitize": {"core", "cassette"},
    "report": {"core", "cassette"},
    "match": {"core", "cassette", "spec", "protocols"},
    "record": {"core", "cassette", "spec", "protocols", "sanitize"},
    "synth": {"core", "cassette", "spec", "protocols"},
    "drift": {"core", "cassette", "spec", "protocols", "sanitize", "report", "match", "record"},
    "plugin": {"core", "cassette", "spec", "protocols", "sanitize", "report", "match", "record"},
    "serve": {"core", "cassette", "spec", "protocols", "sanitize", "report", "match", "record",
              "synth"},
}
# the applications: may import anything, nothing imports them
TOP = {"cli", "demo", "samples", "scenarios"}


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "replay" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "replay":
                found.extend((node.lineno, f"replay.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, node.module))
    return found


def _source_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def layer_violations() -> list[str]:
    problems = []
    for path in _source_files():
        relative = path.relative_to(ROOT)
        own = relative.parts[0].removesuffix(".py") if len(relative.parts) > 1 or \
            relative.stem in TOP else None
        if own is None:  # replay/__init__.py: re-exports lazily, by name only
            continue
        for line, module in _imports(path):
            target = _package_of(module)
            if target is None or target == own or target in {"__version__", "TOOL_NAME"}:
                continue
            if own in TOP:
                continue
            if target in TOP:
                problems.append(f"{relative}:{line} imports {module}: nothing imports the "
                                f"applications ({', '.join(sorted(TOP))})")
            elif target not in ALLOWED[own]:
                problems.append(f"{relative}:{line} imports {module}: {own} may import only "
                                f"{', '.join(sorted(ALLOWED[own])) or 'nothing of replay'}")
    return problems


def test_every_package_has_a_rule() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(ALLOWED) | {"cli"}


def test_no_package_imports_upward() -> None:
    assert layer_violations() == []


def test_rule_catches_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "replay"
    (fake / "core").mkdir(parents=True)
    (fake / "core" / "__init__.py").write_text("")
    bad = "def f():\n    from replay.spec.check import check_body\n"
    (fake / "core" / "bad.py").write_text(bad)
    monkeypatch.setattr(f"{__name__}.ROOT", fake)
    assert layer_violations() == [
        "core/bad.py:2 imports replay.spec.check: core may import only nothing of replay"]


def test_packages_say_their_job_and_rule() -> None:
    for init in sorted(ROOT.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "import" in doc.lower(), f"{init.relative_to(ROOT)}: say its job and rule"
