"""The local endpoint: an HTTP server speaking the SageMaker JSON protocol, answering from
cassettes or synthetic jobs.

May import core, cassette, spec, sanitize, report, match, record and synth.
"""
