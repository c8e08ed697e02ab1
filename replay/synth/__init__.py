"""Spec-valid synthetic AutoML jobs and their lifecycles, and hypothesis strategies of bodies.

May import ``replay.core``, ``replay.cassette`` and ``replay.spec``.
"""
