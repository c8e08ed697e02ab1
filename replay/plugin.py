"""The pytest plugin ``aws_replay`` (being built: see issue 4)."""
