"""Benchmarks: each prints its measurement as a ratio against a ceiling measured in the same run."""
