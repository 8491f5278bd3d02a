"""thinc architectures and encoder assets: frozen transformers, L2-SP, offline encoders."""
