"""Translate-test: translate target text to English, tag it with the English model, map back.

align.py (word alignment), mapping.py (English spans onto original tokens), sentences.py
(what is translated as one piece), component.py (the clinner_translate_test pipe), run.py
(score it on a gold DocBin, as `clinner translate-test` does). See docs/translate-test.md.
"""
