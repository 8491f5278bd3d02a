"""Translate a target corpus's splits for the transfer arms, with the translator a project var names.

A thin layer over `clinner translate` (projection/docbin.py): it passes the NLLB model folder
only to the NLLB backend, so project.yml switches translator with one var
(`--vars.translator nllb`, the folder in vars.nllb_model_dir), and it overwrites its outputs,
which weasel re-runs only when an input changed.
"""
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

NLLB_NAMES = ("nllb", "nllb-ct2")


def translate_splits(
    *,
    corpus_dir: Union[str, Path],
    splits: Sequence[str],
    src_lang: str,
    tgt_lang: str = "en",
    translator: str,
    nllb_model_dir: Optional[Union[str, Path]] = None,
    cache: Optional[Union[str, Path]] = None,
    output_dir: Union[str, Path],
) -> Dict[str, dict]:
    """Translate <corpus_dir>/<split>.spacy into <output_dir>/<split>.spacy with a report each.

    corpus_dir (Union[str, Path]): the converted target corpus (corpus/e3c-es).
    splits (Sequence[str]): splits to translate, e.g. ["train", "dev"].
    src_lang, tgt_lang (str): ISO 639-1 codes.
    translator (str): "apertium" or "nllb" (translate/registry.py).
    nllb_model_dir (Optional[Union[str, Path]]): the CTranslate2 NLLB folder (`clinner convert-nllb`).
    cache (Optional[Union[str, Path]]): the SQLite translation cache, None for none.
    output_dir (Union[str, Path]): translated/<translator>/<lang>.
    RETURNS (Dict[str, dict]): split -> projection report (as written to <split>.report.json).
    """
    from ..projection.docbin import project_docbin
    from ..translate.cache import CachedTranslator
    from ..translate.registry import get_translator

    options = {"model_dir": nllb_model_dir} if translator in NLLB_NAMES else {}
    if translator in NLLB_NAMES and not nllb_model_dir:
        raise ValueError("the nllb translator needs nllb_model_dir (see README: `clinner convert-nllb`)")
    backend = get_translator(translator, **options)
    if cache:
        backend = CachedTranslator(backend, cache, progress=False)
    output_dir = Path(output_dir)
    reports = {}
    for split in splits:
        report = project_docbin(input_path=Path(corpus_dir) / f"{split}.spacy", output_path=output_dir / f"{split}.spacy",
                                translator=backend, src_lang=src_lang, tgt_lang=tgt_lang,
                                report_path=output_dir / f"{split}.report.json", force=True, show_progress=True)
        reports[split] = report.to_dict()
    return reports
