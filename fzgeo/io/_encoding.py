"""Which text encoding a .dbf or CSV file uses, and how that was decided.

Shapefile attributes (.dbf): the ``.cpg`` file wins, then the .dbf language byte (LDID, offset
29), then strict UTF-8, then GB18030 (a superset of GBK/GB2312, what Chinese Windows writes).
GDAL decodes a .dbf in one encoding, so records that mix UTF-8 and GBK are refused, naming the
first record in the other encoding. CSV: a byte-order mark, then strict UTF-8, then GB18030; a
file whose lines mix UTF-8 and GBK (rows appended by another program) is decoded line by line
(:func:`decode_text`, reported). Every decision says where it came from, and a file that decodes
under none of them is an error naming the first record or line that fails.
A Latin-1 (or Windows-1252) decode whose non-ASCII letters are mostly in À-ÿ is GBK read with the
wrong encoding (mojibake such as ``³ÇÊÐ`` for 城市) and is reported as such.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fzgeo.errors import InputError

#: .dbf language driver id (byte 29) -> Python codec, after ESRI's code page table
LDID_CODECS: dict[int, str] = {
    0x01: "cp437",
    0x02: "cp850",
    0x03: "cp1252",
    0x4D: "gb18030",  # 936 Chinese (PRC, GBK)
    0x4E: "cp949",
    0x4F: "big5",
    0x57: "cp1252",
    0x58: "cp1252",
    0x59: "cp1252",
    0x64: "cp852",
    0x65: "cp866",
    0x7A: "gb18030",  # 936 Chinese (PRC, GBK)
    0x7B: "cp932",
    0xC8: "cp1250",
    0xC9: "cp1251",
}
#: names found in .cpg files -> Python codec
CPG_ALIASES: dict[str, str] = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "65001": "utf-8",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "936": "gb18030",
    "cp936": "gb18030",
    "ansi 936": "gb18030",
    "big5": "big5",
    "950": "big5",
    "1252": "cp1252",
    "ansi 1252": "cp1252",
    "iso-8859-1": "latin-1",
    "iso88591": "latin-1",
    "88591": "latin-1",
    "latin1": "latin-1",
}
_CHUNK = 1 << 20


#: the codec of text decoded line by line, each line as UTF-8 or GB18030 (:func:`decode_text`)
MIXED = "utf-8+gb18030"
_NAMES = {"utf-8": "UTF-8", "gb18030": "GB18030/GBK"}
_RUNS = 5  #: line ranges listed per encoding


@dataclass(frozen=True)
class Encoding:
    """A text encoding and how it was chosen."""

    codec: str  #: Python codec name (also understood by GDAL's iconv), or :data:`MIXED`
    source: str  #: e.g. "declared in .cpg", "dbf language byte 0x4D", "detected", "--encoding"

    def __str__(self) -> str:
        """``gb18030 (detected: not valid UTF-8)``."""
        return f"{self.codec} ({self.source})"

    @property
    def guessed(self) -> bool:
        """True for a guess worth a warning: detected, and not plain UTF-8 (GB18030, mixed)."""
        return self.source.startswith("detected") and self.codec != "utf-8"


def chunk_codec(chunk: bytes) -> str | None:
    """The codec of one line or record with non-ASCII bytes: "utf-8", "gb18030" or None (neither).

    Valid UTF-8 is UTF-8 when it reads as Chinese text: characters from U+0800 up (CJK is there)
    at least as many as the two-byte ones (U+0080-U+07FF, Latin to Arabic). GBK bytes are valid
    UTF-8 by accident now and then (模 is C4 A3, UTF-8 for ģ), but then they read as two-byte
    characters; such a chunk is GB18030 when it decodes as such.
    """
    try:
        text: str | None = chunk.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    try:
        chunk.decode("gb18030")
        gb = True
    except UnicodeDecodeError:
        gb = False
    if text is not None:
        wide = sum(1 for c in text if ord(c) >= 0x800)
        narrow = sum(1 for c in text if 0x80 <= ord(c) < 0x800)
        if wide >= narrow or not gb:
            return "utf-8"
    return "gb18030" if gb else None


def _summary(classes: list[tuple[int, str]], unit: str) -> str:
    """``UTF-8 in 3 lines (2-4), GB18030/GBK in 3 lines (5-7)`` from (number, codec) pairs.

    A range is a run of lines (or records) with non-ASCII text in one encoding; ASCII-only lines
    between them belong to neither.
    """
    runs: dict[str, list[tuple[int, int]]] = {}
    previous = None
    for n, codec in classes:
        if codec == previous:
            runs[codec][-1] = (runs[codec][-1][0], n)
        else:
            runs.setdefault(codec, []).append((n, n))
        previous = codec
    parts = []
    for codec, spans in runs.items():
        count = sum(1 for _, c in classes if c == codec)
        shown = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans[:_RUNS])
        more = f" and {len(spans) - _RUNS} more ranges" if len(spans) > _RUNS else ""
        parts.append(f"{_NAMES[codec]} in {count} {unit}(s) ({shown}{more})")
    return ", ".join(parts)


def normalise(name: str, *, path: str | Path | None = None) -> str:
    """Python codec name for an encoding name as users and .cpg files write it."""
    key = name.strip().lower().replace("_", "-")
    codec = CPG_ALIASES.get(key, key)
    try:
        return codecs.lookup(codec).name
    except LookupError as exc:
        msg = f"unknown text encoding {name!r}"
        raise InputError(msg, path=path, code="FZ304", hint="use e.g. utf-8, gbk, gb18030") from exc


def mojibake_share(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that lie in À-ÿ (U+00C0-U+00FF)."""
    high = [c for c in text if ord(c) > 0x7F]
    if not high:
        return 0.0
    return sum(1 for c in high if 0xC0 <= ord(c) <= 0xFF) / len(high)


def looks_like_gbk_mojibake(values: Iterable[object], *, minimum: int = 4) -> str | None:
    """The first value that is GBK text decoded as Latin-1, or None.

    A value qualifies when at least ``minimum`` of its characters are non-ASCII, more than half
    of those are in À-ÿ, and its Latin-1 bytes decode as GBK.
    """
    for value in values:
        if not isinstance(value, str) or sum(ord(c) > 0x7F for c in value) < minimum:
            continue
        if mojibake_share(value) <= 0.5:
            continue
        try:
            value.encode("latin-1").decode("gbk")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        return value
    return None


def _first_failure(chunks: Iterable[bytes], codec: str) -> int | None:
    """Byte offset of the first undecodable byte when ``chunks`` are decoded strictly."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset = 0
    for chunk in chunks:
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return max(offset - pending + exc.start, 0)
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None


def _chunks(data: bytes) -> Iterable[bytes]:
    for i in range(0, len(data), _CHUNK):
        yield data[i : i + _CHUNK]


def dbf_records(dbf: bytes) -> tuple[int, int, int]:
    """(record count, header length, record length) from a .dbf header."""
    if len(dbf) < 32:
        return 0, len(dbf), 1
    count = int.from_bytes(dbf[4:8], "little")
    header = int.from_bytes(dbf[8:10], "little")
    record = max(int.from_bytes(dbf[10:12], "little"), 1)
    return count, header, record


def dbf_encoding(
    dbf: bytes, cpg: str | None, *, path: str | Path | None = None, override: str | None = None
) -> Encoding:
    """The encoding of a .dbf file's text (see the module docstring for the order)."""
    if override:
        return Encoding(normalise(override, path=path), "--encoding")
    count, header, record = dbf_records(dbf)
    body = dbf[header:]
    declared = None
    if cpg and cpg.strip():
        declared = Encoding(normalise(cpg, path=path), f"declared in .cpg ({cpg.strip()})")
    elif len(dbf) > 29 and dbf[29] in LDID_CODECS:
        declared = Encoding(LDID_CODECS[dbf[29]], f"dbf language byte 0x{dbf[29]:02X}")
    if declared is not None:
        if declared.codec == "gb18030":
            _one_encoding(body, count, record, declared, path)
        bad = _first_failure(_chunks(body), declared.codec)
        if bad is not None:
            msg = f"the text is {declared.source} but record {bad // record + 1} does not decode as {declared.codec}"
            raise InputError(msg, path=path, where=f"record {bad // record + 1}", code="FZ304")
        return declared
    bad = _first_failure(_chunks(body), "utf-8")
    if bad is None:
        return Encoding("utf-8", "detected: valid UTF-8, no .cpg")
    found = Encoding("gb18030", "detected: not valid UTF-8, valid GB18030/GBK, no .cpg")
    _one_encoding(body, count, record, found, path)
    bad18030 = _first_failure(_chunks(body), "gb18030")
    if bad18030 is None:
        return found
    msg = f"attribute text is neither UTF-8 nor GB18030 (first bad byte in record {bad18030 // record + 1})"
    raise InputError(msg, path=path, where=f"record {bad18030 // record + 1}", code="FZ304")


def _one_encoding(
    body: bytes, count: int, record: int, chosen: Encoding, path: str | Path | None
) -> None:
    """Refuse .dbf records that mix UTF-8 and GB18030: GDAL decodes a .dbf in one encoding."""
    classes = []
    for k in range(count):
        chunk = body[k * record : (k + 1) * record]
        codec = None if chunk.isascii() else chunk_codec(chunk)
        if codec is not None:  # a record that decodes as neither is refused by the caller
            classes.append((k + 1, codec))
    kinds = {c for _, c in classes}
    if len(kinds) < 2:
        return
    first = classes[0][1]
    other = next(n for n, c in classes if c != first)
    msg = (
        f"the records mix text encodings: {_summary(classes, 'record')}; record {classes[0][0]} "
        f"is {_NAMES[first]} but record {other} is {_NAMES[next(iter(kinds - {first}))]}, and "
        f"GDAL reads a .dbf in one encoding (the text is {chosen.source})"
    )
    hint = (
        "re-save the layer in one encoding (QGIS: Export > Save Features As, encoding UTF-8), "
        "or pass --encoding to read every record in one"
    )
    raise InputError(msg, path=path, where=f"record {other}", code="FZ304", hint=hint)


@dataclass(frozen=True)
class DecodedText:
    """Text of a file with the encoding that decoded it."""

    text: str
    encoding: Encoding


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_text(data: bytes, *, path: str | Path, override: str | None = None) -> DecodedText:
    """Decode a CSV or other text file: BOM, then strict UTF-8, then GB18030, line by line.

    A text that is not valid UTF-8 is decoded line by line: each line with non-ASCII bytes as
    UTF-8 or GB18030 (:func:`chunk_codec`). When no line is UTF-8 the file is GB18030; when the
    lines mix both (rows appended by another program), each line keeps its own encoding and the
    encoding is :data:`MIXED`, its source naming the line ranges of each. Raises
    :class:`InputError` (FZ304) naming the first line that decodes as neither.
    """
    if override:
        codec = normalise(override, path=path)
        try:
            return DecodedText(data.decode(codec), Encoding(codec, "--encoding"))
        except UnicodeDecodeError as exc:
            where = f"line {_line_of(data, exc.start)}"
            msg = f"the text does not decode as {codec} (byte 0x{data[exc.start]:02X})"
            raise InputError(msg, path=path, where=where, code="FZ304") from exc
    if data.startswith(codecs.BOM_UTF8):
        try:
            return DecodedText(data.decode("utf-8-sig"), Encoding("utf-8", "UTF-8 byte-order mark"))
        except UnicodeDecodeError as exc:
            where = f"line {_line_of(data, exc.start)}"
            msg = "the file starts with a UTF-8 byte-order mark but is not valid UTF-8"
            raise InputError(msg, path=path, where=where, code="FZ304") from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return DecodedText(data.decode("utf-16"), Encoding("utf-16", "UTF-16 byte-order mark"))
    try:
        return DecodedText(data.decode("utf-8"), Encoding("utf-8", "detected: valid UTF-8"))
    except UnicodeDecodeError as exc:
        utf8_line = _line_of(data, exc.start)
    lines = data.split(b"\n")  # 0x0A is never part of a GB18030 character
    classes = []
    for n, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        found = chunk_codec(line)
        if found is None:
            msg = f"line {n} decodes neither as UTF-8 nor as GB18030/GBK (UTF-8 fails from line {utf8_line})"
            raise InputError(msg, path=path, where=f"line {n}", code="FZ304")
        classes.append((n, found))
    if all(c == "gb18030" for _, c in classes):
        source = f"detected: not valid UTF-8 from line {utf8_line}, valid GB18030/GBK"
        return DecodedText(data.decode("gb18030"), Encoding("gb18030", source))
    codec_of = dict(classes)
    text = "\n".join(line.decode(codec_of.get(n, "ascii")) for n, line in enumerate(lines, start=1))
    source = f"detected line by line: {_summary(classes, 'line')}"
    return DecodedText(text, Encoding(MIXED, source))


def _file_chunks(path: Path) -> Iterable[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def json_encoding(path: Path, *, override: str | None = None) -> Encoding:
    """The encoding of a GeoJSON file: UTF-8 by the standard, GB18030 when that is what it is."""
    if override:
        return Encoding(normalise(override, path=path), "--encoding")
    bad = _first_failure(_file_chunks(path), "utf-8")
    if bad is None:
        return Encoding("utf-8", "UTF-8 (GeoJSON standard), verified")
    data = path.read_bytes()  # the lines are classified below: the whole file, read once
    line = _line_of(data, bad)
    lines = data.split(b"\n")
    kinds = {n: chunk_codec(b) for n, b in enumerate(lines, 1) if not b.isascii()}
    utf8 = [n for n, codec in kinds.items() if codec == "utf-8"]
    gbk = [n for n, codec in kinds.items() if codec == "gb18030"]
    if utf8 and gbk:
        (first, one), (other, two) = sorted([(utf8[0], "UTF-8"), (gbk[0], "GB18030/GBK")])
        msg = (
            f"the text mixes encodings: line {first} is {one} but line {other} is {two}, and "
            "GDAL reads a GeoJSON file in one encoding"
        )
        hint = "save the file again as UTF-8, or pass --encoding to read every line in one"
        raise InputError(msg, path=path, where=f"line {other}", code="FZ304", hint=hint)
    bad18030 = _first_failure((data,), "gb18030")
    if bad18030 is None:
        return Encoding("gb18030", f"detected: not valid UTF-8 from line {line}, valid GB18030/GBK")
    msg = f"line {line} is not UTF-8, and the file is not GB18030/GBK either"
    raise InputError(msg, path=path, where=f"line {line}", code="FZ304")
