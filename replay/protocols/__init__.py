"""The wire forms of botocore's protocols (``json``, ``rest-json``, ``rest-xml``, ``query``,
``ec2``): which operation a request calls, its parameters as matching compares them, XML read
safely, and the error shape each protocol answers with.

Pure functions of a botocore model and a request or response; no model is loaded here (that is
``replay.spec.operations``). May import ``replay.core`` and ``replay.cassette``.
"""
