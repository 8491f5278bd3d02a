"""`clinner convert`: read a registered corpus and write one DocBin per split plus its report."""
from pathlib import Path
from typing import Dict, List, Union

from spacy.tokens import DocBin
from tqdm import tqdm

from ..util import logger
from .convert import convert_documents
from .labelmap import load_labelmap
from .registry import get_corpus, read_corpus, split_options_used
from .report import ConversionReport

REPORT_JSON = "report.json"
REPORT_MD = "report.md"


def convert_corpus(
    name: str,
    *,
    data_dir: Union[str, Path],
    output_dir: Union[str, Path],
    force: bool = False,
    skip_invalid: bool = False,
    dev_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: int = 0,
    show_progress: bool = False,
) -> ConversionReport:
    """Convert one corpus to output_dir/name/<split>.spacy, report.json and report.md.

    name (str): a corpus name from corpora/registry.py.
    data_dir (Union[str, Path]): the shared data folder.
    output_dir (Union[str, Path]): where the corpus folder is written.
    force (bool): overwrite an existing corpus folder's DocBins and report.
    skip_invalid (bool): skip and report invalid documents instead of stopping.
    dev_fraction (float): share of train documents carved into dev, where no official dev exists.
    test_fraction (float): share of documents carved into test, where no official test exists.
    seed (int): seed of the carves.
    show_progress (bool): show a progress bar (count, rate, time left) on stderr.
    RETURNS (ConversionReport): the report that was written.
    """
    spec = get_corpus(name)
    out = Path(output_dir) / name
    existing = sorted(out.glob("*.spacy")) + [p for p in (out / REPORT_JSON, out / REPORT_MD) if p.exists()]
    if existing and not force:
        raise FileExistsError(f"{out} already holds {existing[0].name}; pass force=True (--force) to overwrite")
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
    # Materialised first so the progress bar knows its total; the corpora are small.
    raws = list(read_corpus(spec, Path(data_dir), **options))
    bins: Dict[str, DocBin] = {}
    progress = tqdm(raws, desc=name, unit="doc", disable=not show_progress)
    for doc in convert_documents(progress, lang=spec.lang, labelmap=labelmap, report=report, skip_invalid=skip_invalid):
        split = doc.user_data["clinner"]["split"]
        bins.setdefault(split, DocBin(store_user_data=True)).add(doc)
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
