"""The results page (docs/results.md) and its learning curve, generated from metrics files."""
