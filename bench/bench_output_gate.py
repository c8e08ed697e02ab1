"""Secrets planted and survived per command and format: the output gate's figures.

    .venv/bin/python bench/bench_output_gate.py [--seeds 3]

For each seed, a secret of every detector (11: access key ids AKIA and ASIA, a secret key, a
session token, a presigned-URL token, a SigV4 signature, account ids in aws, aws-cn and
aws-us-gov ARNs, after letters and in a bucket name) is planted into the bodies and headers of
a cassette (``tests/support/leaky_outputs.py``); check, diff, drift (against a local stub
endpoint), scan and report merge run in every format, to stdout and to ``--output``, plus
accept and an error message. Counted: planted values that appear in what a command put out,
with the gate switched off (the baseline, measured in the same run) and on.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.leaky_outputs import planted_from_seed, run_every_command  # noqa: E402


def survivors(seeds: int, gated: bool) -> tuple[Counter[str], Counter[str]]:
    """(appearing, planted) per "<command> <format>" over ``seeds`` plantings."""
    appearing: Counter[str] = Counter()
    planted_count: Counter[str] = Counter()
    for seed in range(seeds):
        planted = planted_from_seed(seed)
        with tempfile.TemporaryDirectory() as folder:
            if gated:
                outputs = run_every_command(Path(folder), planted)
            else:
                with mock.patch("replay.core.redaction.detect", lambda *a, **k: iter(())):
                    outputs = run_every_command(Path(folder), planted)
        for where, data in outputs.items():
            key = where.rsplit(" ", 1)[0]
            appearing[key] += len(planted.found_in(data))
            planted_count[key] += len(planted.values)
    return appearing, planted_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    before, planted = survivors(args.seeds, gated=False)
    after, _ = survivors(args.seeds, gated=True)
    print(f"{'command format':<28} {'planted':>8} {'ungated':>8} {'gated':>6}")
    for key in planted:
        print(f"{key:<28} {planted[key]:>8} {before[key]:>8} {after[key]:>6}")
    total, leaked, left = sum(planted.values()), sum(before.values()), sum(after.values())
    print(f"{'total':<28} {total:>8} {leaked:>8} {left:>6}")
    print(f"survived ungated: {leaked / total:.2f} of planted; gated: {left / total:.2f}")


if __name__ == "__main__":
    main()
