"""Drift: recording vs recording (paired, classified against the model), volatile paths, and
live drift against an endpoint.

May import every package below it: core, cassette, spec, sanitize, report, match, record.
"""
