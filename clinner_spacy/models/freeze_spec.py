"""Which encoder layers to freeze: parse "", "all", "intermediate", "0-9", "0,1,2", "0.2"."""
from typing import Optional, Set

NONE_SPECS = ("", "none")


def parse_freeze_layers(spec: str, n_layers: Optional[int] = None) -> Set[int]:
    """Turn a freeze_layers setting into layer indices (0 = the layer next to the embeddings).

    "" / "none": no layer. "all": every layer. "intermediate": every layer except the top one
    (the method's transfer setting: the embeddings and the classifier train, and the top layer
    adapts). Integers, ranges and lists: "3", "0-9", "0,1,2", "0-3,7". A float in [0, 1]
    ("0.2", or "20%"): the lowest floor(fraction * n_layers) layers.

    spec (str): the setting.
    n_layers (Optional[int]): the encoder's layer count; None only checks the syntax.
    RETURNS (Set[int]): layer indices (empty when n_layers is None and the spec needs it).
    """
    text = (spec or "").strip().lower()
    if text in NONE_SPECS:
        return set()
    if text == "all":
        return set(range(n_layers)) if n_layers is not None else set()
    if text == "intermediate":
        return set(range(n_layers - 1)) if n_layers is not None else set()
    if text.endswith("%") or "." in text:
        try:
            fraction = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError(_bad(spec, "not a fraction")) from None
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(_bad(spec, "a fraction must lie in [0, 1]"))
        if n_layers is None:
            return set()
        # small epsilon: 0.5 * 6 must give 3 despite float rounding
        return set(range(int(fraction * n_layers + 1e-9)))
    layers: Set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError(_bad(spec, f"empty range {part!r}"))
                layers.update(range(lo, hi + 1))
            else:
                layers.add(int(part))
        except ValueError as err:
            if "freeze_layers" in str(err):
                raise
            raise ValueError(_bad(spec, f"cannot read {part!r}")) from None
    if n_layers is not None:
        outside = sorted(i for i in layers if i >= n_layers)
        if outside:
            raise ValueError(_bad(spec, f"layers {outside} do not exist (encoder has {n_layers})"))
    return layers


def _bad(spec: str, why: str) -> str:
    return (
        f"freeze_layers={spec!r}: {why}. Use '', 'all', 'intermediate', indices like "
        "'0-9' or '0,1,2', or a fraction like '0.2' (the lowest 20% of layers)."
    )
