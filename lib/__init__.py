"""Storelens: order exports in, answers out. `python -m lib --help` runs it headless."""
