"""The `clinner` command line: thin typer wrappers over importable keyword-only functions."""
