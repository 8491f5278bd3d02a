"""`clinner convert`: read a registered corpus and write one DocBin per split plus its report."""
from pathlib import Path
from typing import Dict, List, Union

from spacy.tokens import DocBin
from tqdm import tqdm

from ..checks import EmptyInputError, check_output_dir
from ..util import logger
from .base import CorpusFormatError
from .convert import convert_documents
from .labelmap import load_labelmap
from .registry import get_corpus, read_corpus, split_options_used
from .report import ConversionReport

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


def check_corpus_output(name: str, output_dir: Union[str, Path], *, force: bool = False) -> List[Path]:
    """Check that a corpus may be written to output_dir/name, before any work.

    name (str): the corpus name.
    output_dir (Union[str, Path]): the output folder (`--output`).
    force (bool): whether existing DocBins and reports may be replaced.
    RETURNS (List[Path]): the existing files a forced conversion replaces.
    """
    get_corpus(name)
    out = check_output_dir(Path(output_dir) / name)
    if not out.exists():
        return []
    existing = sorted(out.glob("*.spacy")) + [p for p in (out / REPORT_JSON, out / REPORT_MD) if p.exists()]
    if existing and not force:
        raise FileExistsError(f"{out} already holds {existing[0].name}; pass --force to overwrite")
    for path in existing:
        if path.is_dir():
            raise ValueError(f"{path} is a folder; cannot write the conversion there")
    return existing


def check_fractions(*, dev_fraction: float, test_fraction: float) -> None:
    """The carve fractions must be in [0, 1) (corpora/splits.py), checked before reading."""
    for option, value in (("--dev-fraction", dev_fraction), ("--test-fraction", test_fraction)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{option} must be at least 0 and below 1, got {value}")


def convert_corpus(
    name: str,
    *,
    data_dir: Union[str, Path],
    output_dir: Union[str, Path],
    force: bool = False,
    skip_invalid: bool = False,
    allow_empty: bool = False,
    dev_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: int = 0,
    show_progress: bool = False,
) -> ConversionReport:
    """Convert one corpus to output_dir/name/<split>.spacy, report.json and report.md.

    Nothing is written unless the whole corpus converts: inputs, options and outputs are
    checked first, and a split the corpus should have (CorpusSpec.splits_expected) that comes
    out empty is an error unless allow_empty (then an empty DocBin is written and noted).

    name (str): a corpus name from corpora/registry.py.
    data_dir (Union[str, Path]): the shared data folder.
    output_dir (Union[str, Path]): where the corpus folder is written.
    force (bool): overwrite an existing corpus folder's DocBins and report.
    skip_invalid (bool): skip and report invalid documents (per-document errors of the readers
        and of validation) instead of stopping.
    allow_empty (bool): write an expected split that has no documents as an empty DocBin.
    dev_fraction (float): share of train documents carved into dev, where no official dev exists.
    test_fraction (float): share of documents carved into test, where no official test exists.
    seed (int): seed of the carves.
    show_progress (bool): show a progress bar (count, rate, time left) on stderr.
    RETURNS (ConversionReport): the report that was written.
    """
    spec = get_corpus(name)
    check_fractions(dev_fraction=dev_fraction, test_fraction=test_fraction)
    existing = check_corpus_output(name, output_dir, force=force)
    if not Path(data_dir).is_dir():
        raise FileNotFoundError(f"data folder not found: {data_dir} (--data-dir)")
    out = Path(output_dir) / name
    labelmap = load_labelmap(spec.labelmap)
    options = {"dev_fraction": dev_fraction, "test_fraction": test_fraction, "seed": seed}
    used = split_options_used(spec)
    report = ConversionReport(corpus=name, lang=spec.lang)
    report.settings = {"data_dir": str(data_dir), "skip_invalid": skip_invalid, "labelmap": spec.labelmap}
    report.settings.update({k: v for k, v in options.items() if used[k]})
    report.notes.append(f"Splits: {spec.splits}.")
    if any(used[k] for k in ("dev_fraction", "test_fraction")):
        carved = ", ".join(f"{k}={v}" for k, v in options.items() if used[k])
        report.notes.append(f"Carve settings (used only where the corpus has no official split): {carved}.")

    def skip(err: CorpusFormatError, doc_id: str, split: str) -> None:
        report.skipped.append({"doc_id": doc_id, "path": err.path, "split": split, "reason": str(err)})

    # Materialised first so the progress bar knows its total; the corpora are small.
    raws = list(read_corpus(spec, Path(data_dir), on_error=skip if skip_invalid else None, **options))
    bins: Dict[str, DocBin] = {}
    progress = tqdm(raws, desc=name, unit="doc", disable=not show_progress)
    for doc in convert_documents(progress, lang=spec.lang, labelmap=labelmap, report=report, skip_invalid=skip_invalid):
        split = doc.user_data["clinner"]["split"]
        bins.setdefault(split, DocBin(store_user_data=True)).add(doc)
    for split in spec.splits_expected(dev_fraction=dev_fraction, test_fraction=test_fraction):
        if split in bins:
            continue
        why = (f"--{split}-fraction {options[f'{split}_fraction']} carves no document out of so few"
               if split in spec.carved_splits else "its input files are missing, empty or hold only invalid documents")
        if not allow_empty:
            raise EmptyInputError(
                f"{name}: no {split} documents ({why}); nothing was written. Pass --allow-empty to write an empty "
                f"{split}.spacy"
            )
        bins[split] = DocBin(store_user_data=True)
        report.notes.append(f"The {split} split is empty ({why}); written as an empty DocBin (--allow-empty).")
    out.mkdir(parents=True, exist_ok=True)
    for old in existing:
        old.unlink()
    written: List[str] = []
    for split, docbin in sorted(bins.items()):
        docbin.to_disk(out / f"{split}.spacy")
        written.append(f"{split}.spacy ({len(docbin)} docs)")
    report.to_json(out / REPORT_JSON)
    (out / REPORT_MD).write_text(report.to_markdown(), encoding="utf-8")
    logger.info("converted %s -> %s: %s; %d skipped", name, out, ", ".join(written), len(report.skipped))
    return report
