"""Hostile and broken files, written by tests.corpus.generate (never committed as files)."""
