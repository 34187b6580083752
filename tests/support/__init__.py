"""Helpers the tests and the benchmarks share; pytest fixtures live in tests/conftest.py."""
