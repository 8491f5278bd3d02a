"""Line handling shared by the backends: one segment per non-blank line of every text.

Backends translate single-line segments; a text with newlines keeps them, blank lines and
the whitespace around each line unchanged, so the output has as many lines as the input.
"""
from typing import List, Optional, Sequence, Tuple

#: per text, per line: (leading whitespace or the whole blank line, segment index, trailing)
Layout = List[List[Tuple[str, Optional[int], str]]]


def split_lines(texts: Sequence[str]) -> Tuple[List[str], Layout]:
    """Cut texts into stripped, non-blank single-line segments.

    texts (Sequence[str]): the input texts (may contain newlines, blank lines, nothing).
    RETURNS (Tuple[List[str], Layout]): the segments in order, and how to put them back.
    """
    segments: List[str] = []
    layout: Layout = []
    for text in texts:
        lines = []
        for line in str(text).split("\n"):
            core = line.strip()
            if not core:
                lines.append((line, None, ""))
                continue
            lead = line[: len(line) - len(line.lstrip())]
            trail = line[len(line.rstrip()) :]
            lines.append((lead, len(segments), trail))
            segments.append(core)
        layout.append(lines)
    return segments, layout


def join_lines(layout: Layout, outputs: Sequence[str]) -> List[str]:
    """Put translated segments back into texts with the original line structure.

    layout (Layout): from split_lines.
    outputs (Sequence[str]): one translation per segment.
    RETURNS (List[str]): one text per input text.
    """
    return [
        "\n".join(lead if i is None else lead + outputs[i].replace("\n", " ") + trail for lead, i, trail in lines)
        for lines in layout
    ]
