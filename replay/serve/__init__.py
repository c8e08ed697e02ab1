"""The local endpoint: an HTTP server speaking every AWS protocol (json, rest-json, rest-xml,
query, ec2), answering from cassettes, or SageMaker's AutoML family from synthetic jobs.

May import core, cassette, spec, protocols, sanitize, report, match, record and synth.
"""
