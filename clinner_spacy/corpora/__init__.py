"""Readers that turn the public clinical corpora into spaCy DocBins under one label schema."""
