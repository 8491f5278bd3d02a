"""Apertium, the rule-based offline backend: es->en, fr->en through Spanish, en->es.

Alignment. Apertium's txt format treats a single newline as ordinary whitespace: multiwords
and transfer rules reach across it ("a\\ntravés de" comes back as "through\\n  the skin"), so
one-sentence-per-line input is not safe. An empty line is a paragraph break, where the
deformatter inserts a hidden sentence end: no word crosses it. Each input line is therefore
sent as its own paragraph, preceded by a fence paragraph "." (without it, the case of a word
can depend on the paragraph before: "tab aquí" gave "tab here" or "tab Here"). The output is
split on empty lines and checked (count, fences); a mismatch is resolved by bisecting the
batch, down to one process per segment. So a segment translates the same in any batch.
(`-f line` isolates lines too, but drops every line's final full stop in apertium 3.8.3.)
"""
import os
import re
import shutil
import subprocess
from typing import Dict, List, Optional, Sequence, Tuple

from ..util import logger
from .base import TranslationError, UnsupportedLanguagePair
from .lines import join_lines, split_lines

INSTALL_HINT = "install it with: apt-get install apertium apertium-eng-spa apertium-fr-es"

#: (source, target) ISO 639-1 -> Apertium modes run in sequence; fr->en pivots through Spanish
ROUTES: Dict[Tuple[str, str], Tuple[str, ...]] = {
    ("es", "en"): ("spa-eng",),
    ("fr", "en"): ("fr-es", "spa-eng"),
    ("en", "es"): ("eng-spa",),
    ("fr", "es"): ("fr-es",),
    ("es", "fr"): ("es-fr",),
}
_MARKS = "*#@"
# a neutral paragraph before every segment: Apertium's capitalisation otherwise depends on
# the previous paragraph, and the fences double as a check of the output's alignment
_FENCE = "."
_MARKED_WORD = re.compile(r"(?<!\w)([*#@]+)(?=\w)")


class ApertiumTranslator:
    """Translate with the apertium command line, one process per batch and mode.

    keep_unknown_marks (bool): keep `*` (unknown word), `#` (generation failed) and `@`
        (not in the bilingual dictionary) marks; off by default (apertium -u).
    match_initial_case (bool): lowercase the output's first letter when the input's first
        letter is lowercase (Apertium often capitalises a paragraph's first word).
    batch_size (int): segments (lines) per apertium process.
    binary (str): the apertium executable.
    """

    name = "apertium"

    def __init__(
        self,
        *,
        keep_unknown_marks: bool = False,
        match_initial_case: bool = True,
        batch_size: int = 2000,
        binary: str = "apertium",
    ):
        self.keep_unknown_marks = keep_unknown_marks
        self.match_initial_case = match_initial_case
        self.batch_size = max(1, batch_size)
        path = shutil.which(binary)
        if path is None:
            raise TranslationError(f"The apertium binary ({binary!r}) was not found on PATH; {INSTALL_HINT}")
        self.binary = path
        self._env = {**os.environ, "LC_ALL": "C.UTF-8"}
        self._modes: Optional[set] = None
        self._version: Optional[str] = None
        self._announced: set = set()

    @property
    def modes(self) -> set:
        """RETURNS (set): the translation directions installed (apertium -l)."""
        if self._modes is None:
            out = self._run([self.binary, "-l"], b"").decode("utf8")
            self._modes = {line.strip() for line in out.splitlines() if line.strip()}
        return self._modes

    def route(self, src_lang: str, tgt_lang: str) -> Tuple[str, ...]:
        """RETURNS (Tuple[str, ...]): the Apertium modes used for a language pair, in order."""
        if (src_lang, tgt_lang) not in ROUTES:
            pairs = ", ".join(f"{s}->{t}" for s, t in ROUTES)
            raise UnsupportedLanguagePair(f"apertium: no route for {src_lang}->{tgt_lang} (supported: {pairs})")
        route = ROUTES[(src_lang, tgt_lang)]
        missing = [mode for mode in route if mode not in self.modes]
        if missing:
            raise TranslationError(
                f"apertium: language data for {', '.join(missing)} is not installed "
                f"(needed for {src_lang}->{tgt_lang}); {INSTALL_HINT}"
            )
        return route

    def cache_signature(self) -> Dict[str, str]:
        if self._version is None:
            self._version = self._run([self.binary, "-V"], b"").decode("utf8").strip()
        return {
            "backend": self.name,
            "version": self._version,
            "keep_unknown_marks": str(self.keep_unknown_marks),
            "match_initial_case": str(self.match_initial_case),
            "segmenting": "fenced-paragraph-per-line.v1",
            "routes": ";".join(f"{s}-{t}:{'|'.join(r)}" for (s, t), r in sorted(ROUTES.items())),
        }

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> List[str]:
        """Translate texts; see Translator.translate. Newlines inside a text are kept."""
        route = self.route(src_lang, tgt_lang)
        if len(route) > 1 and (src_lang, tgt_lang) not in self._announced:
            self._announced.add((src_lang, tgt_lang))
            logger.info("apertium %s->%s pivots: %s", src_lang, tgt_lang, " | ".join(route))
        segments, layout = split_lines(texts)
        # NUL would end Apertium's stream early
        segments = [segment.replace("\0", " ") for segment in segments]
        outputs = list(segments)
        for mode in route:
            outputs = self._translate_segments(mode, outputs)
        if not self.keep_unknown_marks:
            outputs = [_strip_marks(out, src) for out, src in zip(outputs, segments)]
        elif len(route) > 1:
            # a word unknown to both steps would be marked twice
            outputs = [_MARKED_WORD.sub(lambda m: m.group(1)[0], out) for out in outputs]
        if self.match_initial_case:
            outputs = [_match_initial_case(out, src) for out, src in zip(outputs, segments)]
        return join_lines(layout, outputs)

    def _translate_segments(self, mode: str, segments: List[str]) -> List[str]:
        out: List[str] = []
        for i in range(0, len(segments), self.batch_size):
            out.extend(self._translate_batch(mode, segments[i : i + self.batch_size]))
        return out

    def _translate_batch(self, mode: str, segments: List[str]) -> List[str]:
        if not segments:
            return []
        args = [self.binary, "-f", "txt"]
        if not self.keep_unknown_marks:
            args.append("-u")
        data = "".join(f"{_FENCE}\n\n{segment}\n\n" for segment in segments)
        pieces = self._run(args + [mode], data.encode("utf8")).decode("utf8").strip("\n").split("\n\n")
        fences, outputs = pieces[0::2], pieces[1::2]
        if len(outputs) == len(segments) and all(f.strip() == _FENCE for f in fences):
            return [piece.replace("\n", " ").strip() for piece in outputs]
        if len(segments) == 1:
            # one segment cannot be misaligned: keep all of it on one line
            return [" ".join(p.strip() for p in pieces[1:] if p.strip())]
        logger.warning(
            "apertium %s: %d segments came back as %d; bisecting the batch", mode, len(segments), len(pieces)
        )
        half = len(segments) // 2
        return self._translate_batch(mode, segments[:half]) + self._translate_batch(mode, segments[half:])

    def _run(self, args: List[str], data: bytes) -> bytes:
        try:
            proc = subprocess.run(args, input=data, capture_output=True, env=self._env)
        except OSError as err:
            raise TranslationError(f"apertium could not be run ({err}); {INSTALL_HINT}") from err
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf8", "replace").strip()
            raise TranslationError(f"{' '.join(args)} failed (exit {proc.returncode}): {stderr}")
        return proc.stdout


def _strip_marks(out: str, src: str) -> str:
    """Remove unknown-word marks that apertium -u left, unless the source had that character."""
    present = {c for c in _MARKS if c in src}

    def repl(match):
        kept = "".join(c for c in match.group(1) if c in present)
        return kept

    return _MARKED_WORD.sub(repl, out)


def _match_initial_case(out: str, src: str) -> str:
    first_src = next((c for c in src if c.isalpha()), "")
    if not first_src.islower():
        return out
    for i, c in enumerate(out):
        if c.isalpha():
            word = re.match(r"\w+", out[i:]).group(0)
            # keep acronyms ("HIV") and the pronoun "I" as they are
            if c.isupper() and not (len(word) > 1 and word.isupper()) and word != "I":
                return out[:i] + c.lower() + out[i + 1 :]
            return out
    return out
