"""Telecom partners' coverage and speed measurements: formats, validation, classes, H3 rollups."""
