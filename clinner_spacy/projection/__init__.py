"""Carrying gold entity annotations from a source document onto its translation."""
