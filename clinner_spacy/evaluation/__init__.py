"""Span-level evaluation: strict and lenient P/R/F1, macro/weighted, bootstrap intervals."""
