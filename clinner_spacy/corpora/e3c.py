"""E3C reader: UIMA CAS XMI files exported by WebAnno (layer 1 manual, layer 2 silver).

What the real files hold (E3C-Corpus @ 8196181): one cas:Sofa with the document text
(sofaString), type4:Sentence and type4:Token annotations, and custom:* span layers
(CLINENTITY, BODYPART, ACTOR, EVENT, TIMEX3, RML; layer 2 has CLINENTITY only) plus *Link
elements (relation roles) and custom:METADATA. CLINENTITY has a string feature
"discontinuous", not a link feature: the value "DISCONTINUOUS" marks a mention that was
annotated as its whole extent, from the first fragment to the last, so the fragments cannot
be recovered. Such spans are kept whole and counted ("discontinuous_kept_whole"); other
values of the feature are UMLS CUIs typed into the wrong field and are ignored.
Offsets are UIMA (Java) string offsets, i.e. UTF-16 code units, and are converted when the
text has characters outside the BMP.
"""
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set

from .base import CorpusFormatError, ErrorHandler, RawDocument, RawSpan, report_error
from .splits import carve

NS_CAS = "http:///uima/cas.ecore"
NS_SEGMENTATION = "http:///de/tudarmstadt/ukp/dkpro/core/api/segmentation/type.ecore"
NS_CUSTOM = "http:///webanno/custom.ecore"
NS_XMI = "http://www.omg.org/XMI"
LANG_DIRS = {"en": "English", "es": "Spanish", "fr": "French", "it": "Italian", "eu": "Basque"}
SPLIT_FILE = Path("documentation") / "train_test_split.txt"
# custom:* elements that are not text spans.
NON_SPAN_TYPES = {"METADATA"}


def read_train_ids(data_dir: Path) -> Set[str]:
    """The layer 1 training document ids listed in documentation/train_test_split.txt."""
    path = Path(data_dir) / SPLIT_FILE
    if not path.exists():
        raise FileNotFoundError(f"E3C split file not found: {path}")
    return set(re.findall(r"'([A-Z]{2}\d+)'", path.read_text(encoding="utf-8")))


def _utf16_to_index(text: str) -> List[int]:
    # Position i of the result is the str index of UTF-16 code unit i (and one past the end).
    index = []
    for i, ch in enumerate(text):
        index.extend([i, i] if ord(ch) > 0xFFFF else [i])
    index.append(len(text))
    return index


def parse_xmi(path: Path, *, doc_id: str, corpus: str, lang: str, split: str) -> RawDocument:
    """Parse one E3C XMI file into a RawDocument (upstream labels, character offsets).

    path (Path): the .xml file.
    RETURNS (RawDocument): text, sentence starts and every custom span annotation.
    """
    try:
        root = ET.parse(str(path)).getroot()
    except ET.ParseError as err:
        line, col = err.position
        reason = str(err).rsplit(": line", 1)[0]
        raise CorpusFormatError(path, f"line {line}, column {col}", f"invalid XML: {reason}") from None
    sofas = root.findall(f"{{{NS_CAS}}}Sofa")
    if len(sofas) != 1 or sofas[0].get("sofaString") is None:
        raise CorpusFormatError(path, "cas:Sofa", f"expected one Sofa with a sofaString, found {len(sofas)}")
    text = sofas[0].get("sofaString")
    to_index = _utf16_to_index(text) if any(ord(c) > 0xFFFF for c in text) else None

    def offsets(el: ET.Element) -> tuple:
        try:
            begin, end = int(el.get("begin")), int(el.get("end"))
        except (TypeError, ValueError):
            raise CorpusFormatError(path, _where(el), "missing or non-integer begin/end") from None
        if to_index is not None and 0 <= begin <= end < len(to_index):
            begin, end = to_index[begin], to_index[end]
        return begin, end

    sent_starts = [offsets(s)[0] for s in root.iter(f"{{{NS_SEGMENTATION}}}Sentence")]
    spans: List[RawSpan] = []
    whole: List[str] = []
    for el in root:
        ns, _, kind = el.tag[1:].partition("}")
        if ns != NS_CUSTOM or kind.endswith("Link") or kind in NON_SPAN_TYPES:
            continue
        begin, end = offsets(el)
        spans.append(RawSpan(begin, end, kind, source=_where(el)))
        if (el.get("discontinuous") or "").upper() == "DISCONTINUOUS":
            whole.append(kind)
    return RawDocument(
        doc_id=doc_id,
        text=text,
        spans=spans,
        corpus=corpus,
        lang=lang,
        split=split,
        path=str(path),
        sent_starts=sent_starts or None,
        extra={"discontinuous_whole_labels": whole},
    )


def _where(el: ET.Element) -> str:
    kind = el.tag.rpartition("}")[2]
    return f"{kind} xmi:id={el.get(f'{{{NS_XMI}}}id')}"


def read_e3c(
    data_dir: Path,
    *,
    lang: str,
    layer: int = 1,
    dev_fraction: float = 0.2,
    seed: int = 0,
    on_error: Optional[ErrorHandler] = None,
) -> Iterator[RawDocument]:
    """Read one language and layer of E3C, with its splits.

    Layer 1 follows the official split (listed ids = train, the rest = test), and dev is carved
    from train by document (dev_fraction, seed). Layer 2 is silver training data: all "train".

    data_dir (Path): the e3c folder (with data_annotation/ and documentation/).
    lang (str): "en", "es" or "fr" (also "it", "eu").
    layer (int): 1 (manual) or 2 (silver).
    dev_fraction (float): share of layer 1 train documents that go to dev.
    seed (int): seed of the dev carve.
    on_error (Optional[ErrorHandler]): called with a file's error (invalid XML, ...) instead of raising it.
    YIELDS (RawDocument): the documents, in file name order.
    """
    data_dir = Path(data_dir)
    folder = data_dir / "data_annotation" / LANG_DIRS[lang] / f"layer{layer}"
    files = sorted(folder.glob("*.xml"))
    if not files:
        raise FileNotFoundError(f"no E3C .xml files in {folder}")
    corpus = f"e3c-{lang}" if layer == 1 else f"e3c-{lang}-silver"
    splits: Dict[str, str] = {}
    if layer == 1:
        train_ids = read_train_ids(data_dir)
        ids = [f.stem for f in files]
        splits = {i: "test" for i in ids if i not in train_ids}
        splits.update(carve([i for i in ids if i in train_ids], dev_fraction=dev_fraction, seed=seed))
    for path in files:
        split = splits.get(path.stem, "train")
        try:
            doc = parse_xmi(path, doc_id=path.stem, corpus=corpus, lang=lang, split=split)
        except CorpusFormatError as err:
            report_error(err, on_error, doc_id=path.stem, split=split)
            continue
        yield doc
