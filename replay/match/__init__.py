"""Matching a live request to recorded ones (operation + parsed parameters, field diffs) and
playing recorded answers back in order.

May import ``replay.core``, ``replay.cassette`` and ``replay.spec``.
"""
