"""``python -m replay.cli ...`` runs the ``aws-replay`` command line."""

from replay.cli.app import main

main()
