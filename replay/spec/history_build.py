"""Building the model history: the AutoML shapes of many botocore releases, in one small index.

``python -m replay.spec.history build`` lists botocore's releases through pip, downloads a
sample of wheels (``pip download --no-deps``: whatever index pip is configured with), reads each
wheel's ``sagemaker`` model straight from the zip and reduces it to *facts*: one string per thing
a consumer can observe at a member path (the member exists, an enum value, its type, a bound,
a pattern). The sample is the first and the latest patch of every minor release since 1.20,
plus the installed botocore. Wherever two neighbouring samples disagree and releases lie
between them, the release in the middle is fetched too, until every change is pinned to the
first release that has it (a bisection: a few wheels per change, not every release).

The index (:data:`replay.spec.history.INDEX_PATH`, JSON, one member path a line) keeps, per
operation, part (output, input) and member path, the spans of releases in which each fact
held: ``[first, first_without]`` (``null`` while it still holds). It names every release it
read and when it was built (the wheel's own file dates), so a reader knows what it covers.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from replay.core.errors import ConfigError, ReplayError
from replay.spec.lock import member_view
from replay.spec.servicemodel import ServiceModel

HISTORY_FORMAT = 1
SERVICE = "sagemaker"
AUTOML_OPERATIONS = ("DescribeAutoMLJob", "DescribeAutoMLJobV2", "ListAutoMLJobs",
                     "ListCandidatesForAutoMLJob", "CreateAutoMLJob", "CreateAutoMLJobV2",
                     "StopAutoMLJob")
OLDEST_MINOR = (1, 20)
_ATTRIBUTES = ("type", "min", "max", "pattern", "timestampFormat")
_MODEL_FILE = re.compile(r"^botocore/data/sagemaker/[^/]+/service-2\.json(\.gz)?$")

Version = tuple[int, ...]
Facts = frozenset[str]
Fetch = Callable[[str], Path]
"""A release number -> the path of its wheel (downloaded, or built by a test)."""


def version_key(version: str) -> Version:
    """``"1.34.10"`` as ``(1, 34, 10)``, for ordering releases."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


# ------------------------------------------------------------------------ one wheel's facts


@dataclass(frozen=True)
class WheelModel:
    """What one botocore wheel says: its release, its date, its AutoML facts."""

    version: str
    date: str
    facts: Facts


def _model_data(wheel: Path) -> tuple[dict[str, Any], str]:
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = sorted(n for n in archive.namelist() if _MODEL_FILE.match(n))
            if not names:
                raise ConfigError(f"{wheel}: no botocore/data/sagemaker/*/service-2.json in it; "
                                  "is it a botocore wheel?")
            name = names[-1]  # the newest API version folder
            raw = archive.read(name)
            date = datetime(*archive.getinfo(name).date_time).strftime("%Y-%m-%d")
    except (OSError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"{wheel}: cannot be read as a wheel ({exc})") from None
    data = json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)
    return data, date


def _facts_of(view: Mapping[str, Mapping[str, Any]], prefix: str) -> Iterable[str]:
    for path, entry in view.items():
        where = f"{prefix}{path}"
        yield where
        if entry.get("required"):
            yield f"{where}|required"
        for name in _ATTRIBUTES:
            if name in entry:
                yield f"{where}|{name}={json.dumps(entry[name])}"
        for value in entry.get("enum", ()):
            yield f"{where}|enum={value}"


def facts_of_model(data: Mapping[str, Any],
                   operations: Sequence[str] = AUTOML_OPERATIONS) -> Facts:
    """Every observable fact of ``operations``' inputs and outputs in one service model.

    A fact is ``OP|PART|PATH`` (the member exists) or ``OP|PART|PATH|what`` (``enum=VALUE``,
    ``required``, ``max=256``, ``type="string"``...).
    """
    model = ServiceModel(dict(data), service_name=SERVICE)
    facts: set[str] = set()
    for name in operations:
        if name not in model.operation_names:
            continue
        operation = model.operation_model(name)
        for part, shape in (("output", operation.output_shape),
                            ("input", operation.input_shape)):
            if shape is not None:
                facts.update(_facts_of(member_view(shape), f"{name}|{part}|"))
    return frozenset(facts)


def read_wheel(wheel: Path, version: str) -> WheelModel:
    """The AutoML facts of one botocore wheel."""
    data, date = _model_data(wheel)
    return WheelModel(version, date, facts_of_model(data))


# ------------------------------------------------------------------------ choosing releases


def sample_releases(releases: Iterable[str], installed: str | None = None,
                    oldest: tuple[int, int] = OLDEST_MINOR) -> list[str]:
    """The first and the latest patch of every minor release from ``oldest`` on, plus
    ``installed``: the releases read before any bisection."""
    by_minor: dict[Version, list[str]] = {}
    for release in releases:
        key = version_key(release)
        if len(key) == 3 and key[:2] >= oldest:
            by_minor.setdefault(key[:2], []).append(release)
    chosen: set[str] = set()
    for items in by_minor.values():
        items.sort(key=version_key)
        chosen.update((items[0], items[-1]))
    if installed is not None and version_key(installed)[:2] >= oldest:
        chosen.add(installed)
    return sorted(chosen, key=version_key)


@dataclass
class HistoryBuild:
    """The releases read so far; :meth:`refine` bisects between disagreeing neighbours."""

    releases: list[str]
    fetch: Fetch
    read: dict[str, WheelModel] = field(default_factory=dict)
    log: Callable[[str], None] = lambda line: None

    def load(self, version: str) -> WheelModel:
        if version not in self.read:
            wheel = self.fetch(version)
            self.read[version] = read_wheel(wheel, version)
            self.log(f"read botocore {version} ({self.read[version].date}): "
                     f"{len(self.read[version].facts)} facts")
        return self.read[version]

    def refine(self, budget: int | None = None) -> bool:
        """Fetch releases between neighbours that disagree until each change is pinned to the
        first release that has it: ``True``; ``False`` when ``budget`` more wheels were read
        first."""
        order = sorted(set(self.releases) | set(self.read), key=version_key)
        fetched = 0
        while True:
            known = sorted(self.read, key=version_key)
            gap = next((order[order.index(older) + 1:order.index(newer)]
                        for older, newer in itertools.pairwise(known)
                        if self.read[older].facts != self.read[newer].facts
                        and order.index(newer) - order.index(older) > 1), None)
            if gap is None:
                return True
            if budget is not None and fetched >= budget:
                return False
            self.load(gap[len(gap) // 2])
            fetched += 1


def spans(present: Sequence[bool], versions: Sequence[str]) -> list[list[str | None]]:
    """``[first, first_without]`` runs of ``present`` (``None``: still present at the end)."""
    runs: list[list[str | None]] = []
    start: str | None = None
    for version, here in zip(versions, present, strict=True):
        if here and start is None:
            start = version
        elif not here and start is not None:
            runs.append([start, version])
            start = None
    if start is not None:
        runs.append([start, None])
    return runs


def history_document(models: Iterable[WheelModel], exact: bool) -> dict[str, Any]:
    """The index document of the wheels read (see :mod:`replay.spec.history`)."""
    ordered = sorted(models, key=lambda m: version_key(m.version))
    if not ordered:
        raise ConfigError("no botocore release was read; nothing to build the history from")
    versions = [m.version for m in ordered]
    every = sorted(set().union(*(m.facts for m in ordered)))
    operations: dict[str, dict[str, dict[str, Any]]] = {}
    for fact in every:
        operation, part, rest = fact.split("|", 2)
        path, _, what = rest.partition("|")
        runs = spans([fact in m.facts for m in ordered], versions)
        entry = operations.setdefault(f"{SERVICE}:{operation}", {}).setdefault(
            part, {}).setdefault(path, {})
        if not what:
            entry["in"] = runs
        elif what.startswith("enum="):
            entry.setdefault("enum", {})[what[len("enum="):]] = runs
        else:
            entry.setdefault("facts", {})[what] = runs
    return {
        "aws_replay_model_history": HISTORY_FORMAT,
        "built_by": "python -m replay.spec.history build",
        "service": SERVICE,
        "operations_covered": [f"{SERVICE}:{name}" for name in AUTOML_OPERATIONS],
        "exact": exact,
        "covers": ("botocore " + f"{versions[0]}..{versions[-1]}: the first and latest patch "
                   "of every minor release since 1.20 and the installed release"
                   + (", plus the releases between any two that disagree, so each change is "
                      "pinned to the first release that has it" if exact else
                      "; a change is dated to the first sampled release that has it")),
        "versions": [[m.version, m.date] for m in ordered],
        "operations": operations,
    }


def write_history(path: Path, document: Mapping[str, Any]) -> None:
    """Write the index atomically as JSON with one member path a line, so that a rebuild's
    diff shows what changed."""
    import os

    def tight(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    head = [f"{tight(key)}:{tight(value)}" for key, value in document.items()
            if key != "operations"]
    operations = []
    for name, parts in document["operations"].items():
        blocks = []
        for part, paths in parts.items():
            lines = ",\n".join(f"  {tight(member)}:{tight(entry)}"
                               for member, entry in paths.items())
            blocks.append(f" {tight(part)}:{{\n{lines}}}")
        operations.append(f"{tight(name)}:{{\n" + ",\n".join(blocks) + "}")
    text = ("{" + ",\n".join(head) + ",\n\"operations\":{\n" + ",\n".join(operations)
            + "}}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# ------------------------------------------------------------------------------- pip


def pip_releases() -> list[str]:
    """Every botocore release the configured package index offers (``pip index versions``)."""
    result = _pip("index", "versions", "botocore")
    match = re.search(r"Available versions:\s*(.+)", result)
    if not match:
        raise ReplayError("pip listed no botocore releases; check the package index "
                          "(pip config list)")
    return sorted((v.strip() for v in match.group(1).split(",") if v.strip()), key=version_key)


def pip_fetch(folder: Path) -> Fetch:
    """A :data:`Fetch` that downloads a release's wheel into ``folder`` with pip."""

    def fetch(version: str) -> Path:
        for old in folder.glob("botocore-*.whl"):
            old.unlink()  # one wheel on disk at a time: each is ~12 MB
        _pip("download", "--no-deps", "--only-binary", ":all:", "--quiet",
             f"botocore=={version}", "-d", str(folder))
        wheels = list(folder.glob(f"botocore-{version}-*.whl"))
        if not wheels:
            raise ReplayError(f"pip downloaded no wheel of botocore {version}")
        return wheels[0]

    return fetch


def _pip(*args: str) -> str:
    command = [sys.executable, "-m", "pip", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ReplayError(f"`pip {' '.join(args)}` failed: {last}")
    return done.stdout


def build(output: Path, *, exact: bool = True, budget: int | None = None,
          releases: Sequence[str] | None = None, fetch: Fetch | None = None,
          installed: str | None = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Build the index from the package index (or ``releases`` and ``fetch``) into ``output``."""
    import botocore

    every = list(releases) if releases is not None else pip_releases()
    sample = sample_releases(every, installed or botocore.__version__)
    with tempfile.TemporaryDirectory(prefix="aws-replay-history-") as folder:
        run = HistoryBuild(every, fetch or pip_fetch(Path(folder)), log=log)
        for version in sample:
            run.load(version)
        exact = run.refine(budget) if exact else False
    document = history_document(run.read.values(), exact)
    write_history(output, document)
    log(f"wrote {output}: {len(run.read)} releases, {document['covers']}")
    return document
