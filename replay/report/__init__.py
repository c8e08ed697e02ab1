"""Findings to text, JSON, JUnit XML, Markdown and SARIF; merging JSON reports. It knows
nothing of how the findings were made.

May import ``replay.core`` and ``replay.cassette``.
"""
