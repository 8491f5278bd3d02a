"""Fallback locators: exact, case-insensitive, normalised, fuzzy; never a guess below threshold."""
from clinner_spacy.projection.fallback import (
    ExactLocator,
    FuzzyLocator,
    LemmaLocator,
    default_locators,
    locate,
    normalise,
)

SENT = "The patient has abdominal pains in the right iliac fossa and Abdominal pain."


def test_exact_on_token_boundaries_only():
    got = ExactLocator().locate(SENT, ["pain"], forbidden=[], hint=0.5)
    # "pains" does not end on a token boundary at "pain"
    assert SENT[got.start : got.end] == "pain" and got.start == SENT.rindex("pain")
    assert ExactLocator().locate(SENT, ["iliac fos"], forbidden=[], hint=0.5) is None


def test_casefold_and_ties_use_the_hint():
    loc = ExactLocator(casefold=True)
    early = loc.locate("Pain and pain", ["PAIN"], forbidden=[], hint=0.0)
    late = loc.locate("Pain and pain", ["PAIN"], forbidden=[], hint=1.0)
    assert (early.start, late.start) == (0, 9)
    assert early.ambiguous and late.ambiguous
    assert early.method == "fallback-casefold"


def test_forbidden_spans_are_skipped():
    got = locate(SENT, ["abdominal pain"], default_locators(), forbidden=[(61, 75)], hint=0.9)
    # the exact occurrence is taken; the plural one is found by the normalised match
    assert got.method == "fallback-lemma" and SENT[got.start : got.end] == "abdominal pains"


def test_lemma_ignores_accents_plurals_articles():
    assert normalise("Fosas") == "fosa" and normalise("ilíaca") == "iliaca"
    got = LemmaLocator().locate("dolor en las fosas iliacas", ["la fosa ilíaca"], forbidden=[], hint=0.5)
    assert got is not None and got.method == "fallback-lemma"


def test_fuzzy_threshold_and_reordering():
    fuzzy = FuzzyLocator(threshold=0.8)
    got = fuzzy.locate(SENT, ["iliac fosa right"], forbidden=[], hint=0.5)
    assert SENT[got.start : got.end] == "right iliac fossa"
    assert fuzzy.locate(SENT, ["liver"], forbidden=[], hint=0.5) is None
    # short queries are never matched fuzzily
    assert fuzzy.locate("the arm", ["ar"], forbidden=[], hint=0.5) is None
    assert FuzzyLocator(threshold=0.99).locate(SENT, ["iliac fosa rigth"], forbidden=[], hint=0.5) is None


def test_locate_chain_order_and_nothing_found():
    assert locate(SENT, ["right iliac fossa"], default_locators()).method == "fallback-exact"
    assert locate(SENT, ["hepatic cyst", ""], default_locators()) is None
    assert locate("", ["pain"], default_locators()) is None


def _trigram_encoder(texts):
    """A stand-in encoder: hashed character trigram counts (similar strings, similar vectors)."""
    import numpy

    out = numpy.zeros((len(texts), 257), dtype="float32")
    for row, text in enumerate(texts):
        padded = f"  {normalise(text)}  "
        for i in range(len(padded) - 2):
            out[row, sum(map(ord, padded[i : i + 3])) % 257] += 1.0
    return out


def test_embedding_locator_places_confident_and_refuses_the_rest():
    from clinner_spacy.projection.embedding import EmbeddingLocator

    loc = EmbeddingLocator(_trigram_encoder, threshold=0.7, margin=0.05)
    sent = "extended by the renal vein until the retrohepatic cava"
    got = loc.locate(sent, ["vena cava retrohepatica"], forbidden=[], hint=0.5)
    assert got is not None and got.method == "fallback-embedding"
    assert sent[got.start : got.end] == "retrohepatic cava"
    assert loc.locate(sent, ["xyzzy"], forbidden=[], hint=0.5) is None
    # the same phrase twice: no window wins by the margin, so nothing is placed
    assert loc.locate("renal vein and renal vein", ["renal vein"], forbidden=[], hint=0.5) is None
    assert loc.locate("renal vein and renal vein", ["renal vein"], forbidden=[(0, 10)], hint=0.5).start == 15
    # chained after a stricter locator, it is asked only when that one finds nothing
    chain = [FuzzyLocator(threshold=0.99), loc]
    assert locate(sent, ["vena cava retrohepatica"], chain).method == "fallback-embedding"
    assert locate(sent, ["renal vein"], [ExactLocator(), loc]).method == "fallback-exact"
