"""Strict reading of corpus files: UTF-8 only, errors that name the file and the byte."""
from pathlib import Path
from typing import List, Tuple, Union

from .base import CorpusFormatError


def read_text(path: Union[str, Path]) -> str:
    """Read a text file as strict UTF-8, keeping its newlines exactly as stored.

    Newlines are not translated because standoff offsets count "\\r\\n" as two characters.

    path (Union[str, Path]): the file to read.
    RETURNS (str): the decoded text.
    """
    data = Path(path).read_bytes()
    return decode(data, path)


def decode(data: bytes, path: Union[str, Path]) -> str:
    """Decode bytes as strict UTF-8, raising CorpusFormatError with the byte offset.

    data (bytes): the file's content.
    path (Union[str, Path]): the file name used in the error message.
    RETURNS (str): the decoded text.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise CorpusFormatError(
            path,
            f"byte {err.start} (line {line})",
            f"not valid UTF-8 ({err.reason}, byte 0x{data[err.start]:02x}); "
            "re-encode the file as UTF-8",
        ) from None


def read_lines(path: Union[str, Path]) -> List[Tuple[int, Union[str, CorpusFormatError]]]:
    """Read a line-based file (JSONL) as strict UTF-8, line by line.

    Lines are split on "\n" only (a JSON string may hold U+2028, which str.splitlines breaks
    on), and a line that is not valid UTF-8 comes back as its error, so that one bad line
    spoils one document, not the file.

    path (Union[str, Path]): the file.
    RETURNS (List[Tuple[int, Union[str, CorpusFormatError]]]): (line number, text or error).
    """
    lines: List[Tuple[int, Union[str, CorpusFormatError]]] = []
    offset = 0
    for n, raw in enumerate(Path(path).read_bytes().split(b"\n"), start=1):
        try:
            lines.append((n, raw.decode("utf-8")))
        except UnicodeDecodeError as err:
            lines.append((n, CorpusFormatError(
                path, f"line {n}, byte {offset + err.start}",
                f"not valid UTF-8 ({err.reason}, byte 0x{raw[err.start]:02x}); re-encode the file as UTF-8",
            )))
        offset += len(raw) + 1
    return lines
