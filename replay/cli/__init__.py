"""The command line. ``app.main`` is the ``aws-replay`` console script.

May import every other package of ``replay``; nothing imports it.
"""
