"""Markers: inserting numbered tags and reading them back from (damaged) translations."""
import pytest

from clinner_spacy.projection import markers as M
from clinner_spacy.projection.markers import mark_text, parse_markers


def test_mark_text_simple_and_edges():
    text = "Dolor en la mano"
    assert mark_text(text, [(0, 5), (12, 16)]) == "<e1>Dolor</e1> en la <e2>mano</e2>"
    assert mark_text(text, []) == text


def test_mark_text_adjacent_and_nested():
    text = "cáncer de mama izquierda"
    # adjacent: the first closes before the second opens
    assert mark_text(text, [(0, 6), (6, 14)]) == "<e1>cáncer</e1><e2> de mama</e2> izquierda"
    # nested: outer opens first and closes last
    assert mark_text(text, [(0, 14), (10, 14)]) == "<e1>cáncer de <e2>mama</e2></e1> izquierda"
    # same start: the longer opens first
    assert mark_text(text, [(10, 14), (10, 24)]) == "cáncer de <e2><e1>mama</e1> izquierda</e2>"


@pytest.mark.parametrize("span", [(3, 3), (-1, 2), (0, 99)])
def test_mark_text_rejects_bad_spans(span):
    with pytest.raises(ValueError):
        mark_text("abcdef", [span])


def test_roundtrip_identity():
    text = "El paciente presenta dolor abdominal en la fosa ilíaca derecha."
    spans = {1: (21, 36), 2: (43, 62)}
    got = parse_markers(mark_text(text, list(spans.values())), spans)
    assert got.text == text
    assert got.spans == spans
    assert set(got.status.values()) == {M.OK}


def test_parse_tolerates_mt_damage():
    spans = {1: (0, 5), 2: (10, 14)}
    # unknown-word marks, spaces in tags, doubled spaces, tag glued to words
    got = parse_markers("The  <*e1>pain </ e1 >in the<e2>hand</*e2>.", spans)
    assert got.text == "The pain in the hand."
    assert got.text[slice(*got.spans[1])] == "pain"
    assert got.text[slice(*got.spans[2])] == "hand"


def test_parse_statuses():
    spans = {1: (0, 1), 2: (2, 3), 3: (4, 5), 4: (6, 7), 5: (8, 9), 6: (10, 11)}
    got = parse_markers("<e1>a</e1> <e2>b <e3></e3> </e4>d<e4> <e5>e</e5><e5>f</e5> g <e9>x</e9>", spans)
    assert got.status == {
        1: M.OK, 2: M.UNBALANCED, 3: M.EMPTY, 4: M.REVERSED, 5: M.DUPLICATED, 6: M.MISSING,
    }
    assert set(got.spans) == {1}
    assert got.stray == 2
    assert "<" not in got.text and "e9" not in got.text


def test_parse_crossed_tags_only_when_source_did_not_cross():
    marked = "<e1>a <e2>b</e1> c</e2>"
    disjoint = parse_markers(marked, {1: (0, 1), 2: (2, 3)})
    assert disjoint.status == {1: M.CROSSED, 2: M.CROSSED}
    assert disjoint.spans == {}
    overlapping = parse_markers(marked, {1: (0, 3), 2: (2, 5)})
    assert overlapping.status == {1: M.OK, 2: M.OK}
    # disjoint in the source, one inside the other in the translation
    enclosing = parse_markers("<e1>a <e2>b</e2></e1>", {1: (0, 1), 2: (2, 3)})
    assert enclosing.status == {1: M.CROSSED, 2: M.CROSSED}
    # nested in the source, apart in the translation
    apart = parse_markers("<e1>a</e1> <e2>b</e2>", {1: (0, 3), 2: (2, 3)})
    assert apart.status == {1: M.CROSSED, 2: M.CROSSED}


def test_parse_removes_residue():
    got = parse_markers("the pain e1> in <e2 the hand", {1: (0, 1), 2: (2, 3)})
    assert got.residue == 2
    assert got.text == "the pain in the hand"
    assert got.status == {1: M.MISSING, 2: M.MISSING}


def test_parse_nested_keeps_both():
    got = parse_markers("Woman with <e1>cancer of the <e2>breast</e2></e1> left.", {1: (0, 9), 2: (5, 9)})
    assert got.text[slice(*got.spans[1])] == "cancer of the breast"
    assert got.text[slice(*got.spans[2])] == "breast"


def test_parse_empty_translation():
    got = parse_markers("", {1: (0, 2)})
    assert got.text == "" and got.status == {1: M.MISSING}
