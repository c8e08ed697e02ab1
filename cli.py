"""``python cli.py ...`` runs the ``aws-replay`` command line from a checkout.

The commands live in :mod:`replay.cli` (installed with the package, so the only top-level import
name installed is ``replay``); this file is a thin entry for the repository's layout.
"""

from replay.cli.app import main

if __name__ == "__main__":
    main()
