""".spacy files read and written one way everywhere: errors that name the file, and the
clinner metadata (doc.user_data, see util.set_meta) always stored.

Writers that add Docs while they make them (corpora/build.py, dialogue/raw_docbin.py,
training/self_training.py) keep their own DocBin(store_user_data=True); write_docs takes
any iterable, so a generator streams too (DocBin.add serialises each Doc at once).
"""
from pathlib import Path
from typing import Iterable, List, Optional, Union

from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab


def read_docs(path: Union[str, Path], vocab: Optional[Vocab] = None) -> List[Doc]:
    """Read every Doc of a .spacy file.

    path (Union[str, Path]): the DocBin file.
    vocab (Optional[Vocab]): the vocab to build the Docs in; a fresh one by default.
    RETURNS (List[Doc]): the documents in file order, with their user_data.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such DocBin: {path}")
    try:
        return list(DocBin().from_disk(path).get_docs(vocab if vocab is not None else Vocab()))
    except (ValueError, KeyError, TypeError) as err:
        # spaCy's and msgpack's errors do not say which file was bad
        raise ValueError(f"{path}: not a readable spaCy DocBin ({err})") from err


def write_docs(docs: Iterable[Doc], path: Union[str, Path]) -> int:
    """Write Docs to a .spacy file with their user_data, creating the parent folder.

    docs (Iterable[Doc]): the documents (a generator is consumed as it goes).
    path (Union[str, Path]): the DocBin file to write (overwritten if it exists).
    RETURNS (int): the number of documents written.
    """
    path = Path(path)
    docbin = DocBin(store_user_data=True)
    for doc in docs:
        docbin.add(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(path)
    return len(docbin)
