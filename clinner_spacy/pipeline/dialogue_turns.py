"""clinner_dialogue_turns: sentence starts at speaker turns, speaker prefixes as spans.

Runs first in a dialogue pipeline (before the transformer and the NER): a turn boundary is a
sentence boundary the NER should never tag across, and doc.spans["speakers"] tells
clinner_speaker_guard, later in the pipeline, which characters are speaker prefixes. In
training, name it in [training] annotating_components so the predicted docs get the same
segmentation as at inference.
"""
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..dialogue.turns import parse_turns
from ..util import logger


@Language.factory(
    "clinner_dialogue_turns",
    assigns=["token.is_sent_start", "doc.spans"],
    default_config={"speakers_key": "speakers", "turns_key": "turns", "one_sentence_per_turn": False, "inline": True},
)
def make_dialogue_turns(
    nlp: Language,
    name: str,
    speakers_key: str,
    turns_key: Optional[str],
    one_sentence_per_turn: bool,
    inline: bool,
) -> "DialogueTurns":
    """Create a clinner_dialogue_turns component.

    speakers_key (str): span group for the speaker prefixes, labelled with the role ("doctor").
    turns_key (Optional[str]): span group for whole turns (prefix included), or None for none.
    one_sentence_per_turn (bool): mark every other token as not a sentence start; when False,
        sentence starts inside a turn are left as they are (unset, or from an earlier component).
    inline (bool): also accept "Doctor:" after a sentence end in mid-line.
    """
    return DialogueTurns(
        name, speakers_key=speakers_key, turns_key=turns_key,
        one_sentence_per_turn=one_sentence_per_turn, inline=inline,
    )


class DialogueTurns:
    """Marks speaker turns on a Doc; no model, nothing to train or load."""

    def __init__(
        self,
        name: str = "clinner_dialogue_turns",
        *,
        speakers_key: str = "speakers",
        turns_key: Optional[str] = "turns",
        one_sentence_per_turn: bool = False,
        inline: bool = True,
    ):
        self.name = name
        self.cfg = {
            "speakers_key": speakers_key,
            "turns_key": turns_key,
            "one_sentence_per_turn": one_sentence_per_turn,
            "inline": inline,
        }

    def __call__(self, doc: Doc) -> Doc:
        speakers, turns, starts = [], [], set()
        for turn in parse_turns(doc.text, inline=self.cfg["inline"]):
            # "expand": a prefix glued to a word ("okay.[patient]") still yields a span;
            # with spaCy's English tokenizer no prefix in the raw or gold dialogues needs it.
            whole = doc.char_span(turn.start, turn.end, alignment_mode="expand")
            if whole is None:
                logger.debug("turn at char %d of %r has no tokens", turn.start, doc.text[:40])
                continue
            starts.add(whole.start)
            turns.append(Span(doc, whole.start, whole.end, label=turn.speaker or "unknown"))
            if turn.prefix_end > turn.prefix_start:
                prefix = doc.char_span(turn.prefix_start, turn.prefix_end, alignment_mode="expand")
                if prefix is not None:
                    speakers.append(Span(doc, prefix.start, prefix.end, label=turn.speaker))
        for token in doc:
            if token.i in starts:
                token.is_sent_start = True
            elif self.cfg["one_sentence_per_turn"] and token.i > 0:
                token.is_sent_start = False
        # A one-turn doc with nothing else set would have no sentence annotation at all
        # (doc.sents raises E030): make it one sentence.
        if all(token.sent_start == 0 for token in doc[1:]):
            for token in doc[1:]:
                token.is_sent_start = False
        doc.spans[self.cfg["speakers_key"]] = speakers
        if self.cfg["turns_key"]:
            doc.spans[self.cfg["turns_key"]] = turns
        return doc

    # No pipe/to_disk/to_bytes: the settings live in the pipeline's config.cfg, and spaCy calls
    # a component per doc and skips saving it when it defines neither.
