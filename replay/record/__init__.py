"""Recording: vcrpy capture sanitized in memory (the only place that configures vcrpy) and the
engine of ``aws-replay record``.

May import ``replay.core``, ``replay.cassette``, ``replay.spec`` and ``replay.sanitize``.
"""
