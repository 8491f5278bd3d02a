"""Tiny random-weight BERT encoders for tests: built locally in seconds, no model hub.

The directory written by make_tiny_encoder is a standard Hugging Face model directory
(config.json, model.safetensors, tokenizer.json, tokenizer_config.json), so spacy-transformers
loads it by path offline, like any other encoder. The tokenizer config declares
PreTrainedTokenizerFast: spacy-transformers 1.4 fails on a tokenizer.json-only directory otherwise.
"""
import string
from pathlib import Path
from typing import Iterable, List, Optional, Union

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# Small English/Spanish/French clinical vocabulary: whole words keep sequences short in tests;
# every other word falls back to single characters (the "##x" pieces below), never to [UNK].
DEFAULT_WORDS = (
    "the a an of and in on with to is was for no not patient pain fever cough chest "
    "heart lung liver kidney head arm leg blood aspirin ibuprofen insulin paracetamol "
    "surgery biopsy scan diabetes cancer infection asthma took has had denies reports "
    "el la los las de del y en con dolor fiebre tos paciente le les et du des avec douleur"
).split()


def default_vocab(words: Optional[Iterable[str]] = None) -> List[str]:
    """Build a WordPiece vocabulary that can spell any ASCII text.

    words (Optional[Iterable[str]]): extra whole words (lowercase, accents stripped).
    RETURNS (List[str]): special tokens, characters, "##" continuation characters, words.
    """
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    vocab = list(SPECIAL_TOKENS) + chars + ["##" + c for c in chars]
    seen = set(vocab)
    for word in list(DEFAULT_WORDS) + list(words or []):
        if word not in seen:
            seen.add(word)
            vocab.append(word)
    return vocab


def make_tiny_tokenizer(vocab: List[str], max_length: int = 512):
    """Create a fast BERT-style WordPiece tokenizer (lowercasing, accent stripping).

    vocab (List[str]): the vocabulary, special tokens included.
    max_length (int): model_max_length of the tokenizer.
    RETURNS (PreTrainedTokenizerFast): the tokenizer.
    """
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import PreTrainedTokenizerFast

    missing = [tok for tok in SPECIAL_TOKENS if tok not in vocab]
    if missing:
        raise ValueError(f"tiny encoder vocabulary lacks special tokens {missing}")
    ids = {tok: i for i, tok in enumerate(vocab)}
    tok = Tokenizer(WordPiece(ids, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=max_length,
    )


def make_tiny_encoder(
    path: Union[str, Path],
    *,
    vocab: Optional[List[str]] = None,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 2,
    intermediate: Optional[int] = None,
    max_length: int = 128,
    seed: int = 0,
) -> Path:
    """Write a tiny random BertModel and its fast tokenizer to a directory.

    path (Union[str, Path]): output directory (created).
    vocab (Optional[List[str]]): WordPiece vocabulary; default_vocab() when None.
    hidden (int): hidden size.
    layers (int): number of encoder layers.
    heads (int): attention heads (must divide hidden).
    intermediate (Optional[int]): feed-forward size; 2 * hidden when None.
    max_length (int): maximum positions (and the tokenizer's model_max_length).
    seed (int): torch seed for the random weights, so the same call writes the same model.
    RETURNS (Path): the directory, loadable with AutoModel/AutoTokenizer.from_pretrained.
    """
    import torch
    from transformers import BertConfig, BertModel

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab = list(vocab) if vocab is not None else default_vocab()
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate or 2 * hidden,
        max_position_embeddings=max_length,
        pad_token_id=vocab.index("[PAD]"),
    )
    # fork_rng: a seeded build must not disturb the caller's random state
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        # with the pooler: AutoModel builds one, and would warn about missing weights otherwise
        model = BertModel(config)
    model.save_pretrained(str(path))
    tokenizer = make_tiny_tokenizer(vocab, max_length=max_length)
    tokenizer.save_pretrained(str(path))
    return path
