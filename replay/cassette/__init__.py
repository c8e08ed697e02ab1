"""The cassette: vcrpy-compatible YAML/JSON read safely, written atomically, with a ``meta`` block.

May import ``replay.core``.
"""
