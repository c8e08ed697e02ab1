"""The vocabulary every stage shares: errors, findings, JSONPath, ``[tool.aws-replay]`` settings.

Imports nothing of ``replay`` but itself (and ``replay``'s version).
"""
