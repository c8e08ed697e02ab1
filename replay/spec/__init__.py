"""The botocore model: which operation a request is, the spec checker compiled once per
operation, spec locks and model-vs-model diffs.

May import ``replay.core`` and ``replay.cassette``.
"""
