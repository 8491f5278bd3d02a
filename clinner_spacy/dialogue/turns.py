"""Speaker prefixes and turns of a dialogue, as exact character offsets into its text.

Dialogue corpora mark speakers in two styles: "Doctor:" / "Patient:" / "Guest_family_1:" at
the start of a line (MTS-Dialog, PriMock57 as collated here), and "[doctor]" / "[patient_guest]"
anywhere in the text (ACI-Bench, whose ASR transcripts put several turns on one line). Offsets
index the text exactly as given (CRLF, odd spacing and all), so that entity predictions and
gold spans can be checked against the prefixes without any re-normalisation.
"""
import re
from dataclasses import dataclass
from typing import List, Tuple

# Speaker names seen in MTS-Dialog, ACI-Bench and PriMock57, plus a few generic roles; the
# misspellings ("Gest_family", "Guest_clinican") are in the MTS-Dialog text itself. A closed
# list keeps "Blood pressure: 120/80" or "Note:" from being read as a speaker.
_ROLE = (
    r"doctor|patient[_ ]?guest|patient|gu?est[_ ]?family|guest[_ ]?clinici?an|nurse|clinician"
    r"|physician|interpreter|speaker"
)
_SUFFIX = r"(?:[_ ]?\d{1,2})?"
# "Doctor:" at the start of a line (after optional blanks); "^" plus a lone "\r" for old Mac
# line ends.
_LINE_COLON = re.compile(
    rf"(?:^|(?<=\r))[ \t\"]*(?P<name>(?:{_ROLE}){_SUFFIX})[ \t]*:", re.IGNORECASE | re.MULTILINE
)
# "... No. Doctor: Any ..." -- a capitalised role right after the end of a sentence, mid-line;
# case-sensitive so that "the patient: ..." in running text is not taken for a turn.
_INLINE_COLON = re.compile(
    rf"(?<=[.?!] )(?P<name>(?:Doctor|Patient|Guest_family|Guest_clinician|Nurse){_SUFFIX}):"
)
_BRACKET = re.compile(rf"\[(?P<name>(?:{_ROLE}){_SUFFIX})\]", re.IGNORECASE)

_CANONICAL = {
    "gest_family": "guest_family",
    "guest_clinican": "guest_clinician",
}


@dataclass(frozen=True)
class Turn:
    """One speaker turn; all offsets index the original text, end exclusive.

    speaker (str): canonical role ("doctor", "patient", "guest_family", ...), "" for text
        before the first prefix.
    name (str): the speaker name as written ("Guest_family_1", "doctor").
    start (int): start of the turn (= start of its prefix).
    end (int): end of the turn, trailing whitespace excluded.
    prefix_start (int): start of the prefix ("Doctor:" or "[doctor]").
    prefix_end (int): end of the prefix, the colon or closing bracket included.
    """

    speaker: str
    name: str
    start: int
    end: int
    prefix_start: int
    prefix_end: int

    @property
    def content_start(self) -> int:
        """Where the words of the turn begin (after the prefix)."""
        return self.prefix_end


def canonical_speaker(name: str) -> str:
    """Map a written speaker name to its role: "Guest_family_2" -> "guest_family".

    name (str): the name as written, without colon or brackets.
    RETURNS (str): the lower-case role, numeric suffix dropped, known misspellings fixed.
    """
    role = re.sub(r"[_ ]?\d+$", "", name.strip().lower()).replace(" ", "_")
    if role in ("guestfamily", "gestfamily"):
        role = "guest_family"
    return _CANONICAL.get(role, role)


def find_speaker_prefixes(text: str, *, inline: bool = True) -> List[Tuple[int, int, str]]:
    """Find every speaker prefix in a dialogue.

    text (str): the dialogue, exactly as in the source.
    inline (bool): also accept "Doctor:" after a sentence end in mid-line.
    RETURNS (List[Tuple[int, int, str]]): (start, end, name as written), sorted by start.
    """
    found = {}
    patterns = [_LINE_COLON, _BRACKET] + ([_INLINE_COLON] if inline else [])
    for pattern in patterns:
        for match in pattern.finditer(text):
            start = match.start("name")
            if pattern is _BRACKET:
                start = match.start()
            found.setdefault(start, (start, match.end(), match.group("name")))
    return sorted(found.values())


def parse_turns(text: str, *, inline: bool = True) -> List[Turn]:
    """Split a dialogue into speaker turns.

    Lines without a prefix continue the current turn. Text before the first prefix, if any,
    is a turn with speaker "" and an empty prefix.

    text (str): the dialogue, exactly as in the source.
    inline (bool): also accept "Doctor:" after a sentence end in mid-line.
    RETURNS (List[Turn]): the turns in order; empty for a text with no words.
    """
    prefixes = find_speaker_prefixes(text, inline=inline)
    turns: List[Turn] = []
    first = prefixes[0][0] if prefixes else len(text)
    lead = text[:first]
    if lead.strip():
        start = len(lead) - len(lead.lstrip())
        turns.append(Turn("", "", start, len(lead.rstrip()), start, start))
    for i, (p_start, p_end, name) in enumerate(prefixes):
        next_start = prefixes[i + 1][0] if i + 1 < len(prefixes) else len(text)
        end = p_start + len(text[p_start:next_start].rstrip())
        turns.append(Turn(canonical_speaker(name), name, p_start, end, p_start, p_end))
    return turns


def count_turns(text: str) -> int:
    """Number of speaker prefixes in a dialogue (the gold selection rule counts these)."""
    return len(find_speaker_prefixes(text))
