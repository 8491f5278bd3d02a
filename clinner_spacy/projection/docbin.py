"""Projection from one .spacy file to another: the function behind `clinner translate`."""
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence

import spacy
from spacy import registry

from ..checks import check_input_file, check_not_empty, check_output_files
from ..docbins import read_docs, write_docs
from ..translate.base import Translator
from ..util import logger
from .fallback import Locator
from .project import DEFAULT_MAX_LOSS, Projector
from .report import ProjectionReport


def project_docbin(
    *,
    input_path: Path,
    output_path: Path,
    translator: Translator,
    src_lang: str,
    tgt_lang: str,
    batch_size: int = 128,
    text_from: str = "marked",
    span_keys: Sequence[str] = (),
    locators: Optional[Sequence[Locator]] = None,
    report_path: Optional[Path] = None,
    force: bool = False,
    show_progress: Optional[bool] = None,
    allow_empty: bool = False,
    max_loss: float = DEFAULT_MAX_LOSS,
) -> ProjectionReport:
    """Translate the docs of a DocBin and write the projected English DocBin (and a report).

    input_path (Path): source .spacy file (docs with ents, sentences and clinner metadata).
    output_path (Path): the .spacy file to write.
    translator (Translator): the backend, cached or not.
    src_lang (str), tgt_lang (str): ISO 639-1 codes.
    batch_size (int): sentences per translator call.
    text_from (str): "marked" or "plain": which translation becomes the doc text (project.py).
    span_keys (Sequence[str]): doc.spans groups to project besides doc.ents.
    locators (Optional[Sequence[Locator]]): fallback chain; default fallback.default_locators().
    report_path (Optional[Path]): where to write the JSON report (markdown beside it).
    force (bool): overwrite output_path / report_path if they exist (never the input).
    show_progress (Optional[bool]): progress bars; None shows them only on a terminal.
    allow_empty (bool): accept an input without documents (an empty output is written).
    max_loss (float): see Projector: the loss of sentences or markers that makes a document an error.
    RETURNS (ProjectionReport): the counts, also written to report_path if given.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    check_projection_paths(input_path, output_path, report_path, force=force)
    projector = Projector(
        translator, src_lang=src_lang, tgt_lang=tgt_lang, batch_size=batch_size,
        text_from=text_from, span_keys=span_keys, locators=locators, show_progress=show_progress,
        max_loss=max_loss,
    )
    # the source language's vocab only to read the file; docs are rebuilt in the target's
    docs = read_docs(input_path, spacy.blank(src_lang).vocab)
    check_not_empty(len(docs), input_path, allow_empty=allow_empty)
    out_docs, report = projector(docs)
    write_docs(out_docs, output_path)
    if report_path is not None:
        report.save(report_path)
    logger.info(
        "%s -> %s: %d docs, %d/%d entities placed", input_path, output_path,
        report.docs, report.placed, report.entities,
    )
    return report


def check_projection_paths(
    input_path: Path, output_path: Path, report_path: Optional[Path] = None, *, force: bool = False
) -> None:
    """The checks project_docbin makes before any work (the input, the outputs, the report's .md).

    Commands translating several files call it for all of them first, so that a bad one is
    found before the first is written.
    """
    check_input_file(input_path, what="input DocBin")
    outputs = [output_path]
    if report_path is not None:
        outputs += [Path(report_path), Path(report_path).with_suffix(".md")]
    check_output_files(outputs, inputs=[input_path], force=force)


@registry.misc("clinner.project_docbin.v1")
def make_project_docbin(
    translator: Translator,
    src_lang: str,
    tgt_lang: str = "en",
    batch_size: int = 128,
    text_from: str = "marked",
    span_keys: Sequence[str] = (),
) -> Callable[..., ProjectionReport]:
    """A configured projection, for configs and project.yml-driven scripts.

    translator (Translator): e.g. a clinner.CachedTranslator.v1 block around clinner.ApertiumTranslator.v1.
    src_lang (str), tgt_lang (str): ISO 639-1 codes.
    batch_size (int): sentences per translator call.
    text_from (str): "marked" or "plain".
    span_keys (Sequence[str]): doc.spans groups to project besides doc.ents.
    RETURNS (Callable[..., ProjectionReport]): call with input_path, output_path and optionally
        report_path and force.
    """

    def run(input_path: Path, output_path: Path, **kwargs: Any) -> ProjectionReport:
        options: Dict[str, Any] = dict(
            translator=translator, src_lang=src_lang, tgt_lang=tgt_lang, batch_size=batch_size,
            text_from=text_from, span_keys=tuple(span_keys),
        )
        options.update(kwargs)
        return project_docbin(input_path=input_path, output_path=output_path, **options)

    return run
