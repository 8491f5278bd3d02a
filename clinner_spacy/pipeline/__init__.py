"""spaCy pipeline components (one per module)."""
