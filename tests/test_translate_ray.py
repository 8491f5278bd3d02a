"""Translation on Ray actors (issue 12): the local output, and the driver's cache means no
sentence is translated twice, across workers or reruns."""
import pytest
from spacy.tokens import DocBin

from clinner_spacy.translate.cache import CachedTranslator
from clinner_spacy.translate.registry import build_backend, get_translator

pytest.importorskip("ray")


def test_nllb_on_ray_is_nllb_here_and_cached_once(ray_local, tiny_ct2, nllb_lines, tmp_path):
    options = {"model_dir": tiny_ct2, "device": "cpu", "beam_size": 1, "max_input_length": 12, "max_decoding_length": 30}
    texts = nllb_lines(12, seed=9)
    texts = texts + texts[:5] + [""]
    expected = get_translator("nllb", **options).translate(texts, "es", "en")
    backend = build_backend("nllb", options, engine="ray", num_workers=2)
    try:
        assert backend.cache_signature() == get_translator("nllb", **options).cache_signature()
        with CachedTranslator(backend, tmp_path / "c.sqlite", progress=False) as cached:
            assert cached.translate(texts, "es", "en") == expected
            # the random model cuts everything: the actors report it, and nothing is cached
            assert cached.truncated == 12 and len(cached.cache) == 0
    finally:
        backend.close()


def test_identity_on_ray_caches_each_sentence_once(ray_local, tmp_path):
    texts = [f"frase {i % 7}" for i in range(20)]
    backend = build_backend("identity", {}, engine="ray", num_workers=2)
    try:
        with CachedTranslator(backend, tmp_path / "c.sqlite", progress=False) as cached:
            assert cached.translate(texts, "es", "en") == texts
            assert cached.stats == {"hits": 0, "misses": 7, "duplicates": 13}
            assert cached.translate(texts, "es", "en") == texts and cached.misses == 7  # a rerun: all hits
    finally:
        backend.close()
    with pytest.raises(ValueError, match="--num-workers apply to --engine ray"):
        build_backend("identity", {}, num_workers=2)


def test_translate_corpus_with_ray_matches_local(ray_local, tmp_path):
    import spacy
    from typer.testing import CliRunner

    from clinner_spacy.cli.app import load_commands
    from clinner_spacy.util import set_meta

    nlp = spacy.blank("es")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for split in ("train", "dev"):
        docs = []
        for i in range(3):
            doc = nlp(f"Dolor en la mano {i}. Fiebre alta.")
            doc.ents = [doc.char_span(0, 5, label="DISORDER")]
            docs.append(set_meta(doc, doc_id=f"{split}{i}", lang="es", corpus="t", split=split))
        DocBin(docs=docs, store_user_data=True).to_disk(corpus / f"{split}.spacy")
    outputs = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        args = ["translate-corpus", "--corpus-dir", corpus, "--src", "es", "--translator", "identity",
                "--output-dir", out, "--no-cache", "--engine", engine] + (["--num-workers", "2"] if engine == "ray" else [])
        result = CliRunner().invoke(load_commands(), [str(a) for a in args])
        assert result.exit_code == 0, result.output
        outputs[engine] = [(d.text, [(e.start_char, e.end_char, e.label_) for e in d.ents])
                           for d in DocBin().from_disk(out / "train.spacy").get_docs(nlp.vocab)]
    assert outputs["ray"] == outputs["local"] and outputs["local"]
