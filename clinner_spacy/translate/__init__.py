"""Machine translation backends (NLLB through CTranslate2, Apertium) behind one interface."""
