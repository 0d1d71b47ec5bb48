"""Commune administration: villages (with CSV and GeoJSON imports), users, teams, survey rounds and
partner organisations. Services take a Session, never import Flask, never commit; each change adds an
audit event (surveys/audit/__init__.py) with the values before and after to the caller's transaction."""
