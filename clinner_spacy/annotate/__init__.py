"""`clinner annotate`: run any spaCy pipeline over a corpus of texts, locally or on Ray."""
