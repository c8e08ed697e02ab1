"""Redaction: the ``Sanitizer`` (consistent, format-preserving placeholders), its rules and
allowlist, sanitizing cassette files, and the leak scanner.

May import ``replay.core`` and ``replay.cassette``.
"""
