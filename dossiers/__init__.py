"""Persistence and services of NTM Dossiers. Knows nothing of Flask."""
