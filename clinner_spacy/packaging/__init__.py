"""Packaged pipelines: choose and stage the model, meta.json and model card, and test the installed wheel."""
