"""Detect the text encoding of a CSV export, or say that it cannot be told.

A wrong guess does not fail: it turns ``Müller;Köln`` into ``M黮ler;K鰈n`` and every name, city
and SKU downstream is silently corrupt. So the detection is ordered from certain to guessed, and a
guess that is not clearly better than a rival reading is an error asking for ``encoding:``.

1. A byte-order mark decides: UTF-8 (``utf-8-sig``), UTF-32 and UTF-16, little or big endian.
2. Bytes that decode as strict UTF-8 are UTF-8 (legacy bytes almost never form valid UTF-8
   sequences by chance; pure ASCII is the same text in every candidate). UTF-16 without a BOM
   is told by its NUL bytes (a NUL in at least every other 2-byte unit, always on the same
   side).
3. Otherwise charset-normalizer ranks the encodings by *chaos* (its mess ratio, 0 = clean text,
   1 = gibberish) and *coherence* (how well the letters fit a language). Readings that give the
   same text are one reading (cp1250, cp1252 and Latin-1 read German identically); a reading
   holding C1 control characters (0x80-0x9F read by Latin-1) is dropped. Windows-1252 is the
   most common legacy export in the West, so its chaos counts :data:`CP1252_PRIOR` lower: on a
   small file it wins a tie with a rarer code page (cp775 reads ``Müller`` as ``M³ller`` with
   the same chaos), and it reads the bytes 0x80-0x9F (``€``, ``“``, ``–``) that Latin-1 cannot.

Confidence: ``(1 - chaos_best) * min(1, gap / MARGIN)``, where ``gap`` is how much worse the
best *different* reading is (its score minus the best's; score = chaos - coherence / 10, minus the
prior for cp1252). A clean reading with no close rival scores 1; a gibberish reading, or two
readings as good as each other (a short GB18030 file also reads as Big5 or EUC-KR), score near 0.
Below :data:`MIN_CONFIDENCE` the file is not read: :class:`~twin.errors.InputError` names it,
shows the ``encoding:`` line to add to the mapping and the best guesses.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twin.errors import InputError

MIN_CONFIDENCE = 0.5
"""Below this confidence a detected encoding is not used (dimensionless, 0..1)."""

MARGIN = 0.05
"""Score gap to the nearest different reading above which a reading is fully trusted."""

CP1252_PRIOR = 0.05
"""How much lower Windows-1252's score counts: a tie with a rarer single-byte page goes to it."""

COHERENCE_WEIGHT = 0.5
"""Weight of charset-normalizer's coherence (0..1) in the score, beside its chaos (0..1)."""

_BOMS = (  # longest first: the UTF-32-LE mark starts with the UTF-16-LE mark
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32-LE"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32-BE"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16-LE"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16-BE"),
)

_EQUAL_FOOTING = frozenset({"cp1250", "iso8859-2"})

_NON_ASCII_WORD = re.compile(r'[^\s,;|"]*[^\x00-\x7f][^\s,;|"]*')
_FOCUS_WORDS = 2000
_SAMPLE_LINES = 2000

_C1 = {chr(c) for c in range(0x80, 0xA0)}


@dataclass(frozen=True)
class Detected:
    """A file's text and how it was decoded.

    Parameters
    ----------
    text : str
        The decoded text, without a BOM.
    encoding : str
        The codec name (``utf-8-sig``, ``utf-16``, ``cp1252``, ``gb18030``, ...).
    confidence : float
        1 for a BOM, strict UTF-8 or an encoding the mapping gives; else the detector's
        confidence (see the module docstring), 0..1.
    method : str
        ``given``, ``bom``, ``utf-8`` or ``detected``.
    """

    text: str
    encoding: str
    confidence: float
    method: str


@dataclass(frozen=True)
class _Reading:
    encoding: str
    text: str
    chaos: float
    coherence: float

    @property
    def score(self) -> float:
        prior = CP1252_PRIOR if self.encoding == "cp1252" else 0.0
        return self.chaos - COHERENCE_WEIGHT * self.coherence - prior


def decode_given(data: bytes, path: Path | str, encoding: str) -> Detected:
    """Decode with the mapping's `encoding`; a BOM of that encoding family is dropped."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise InputError(
            f"{path}: unknown encoding '{encoding}' in the mapping; use a Python codec name such "
            "as utf-8, cp1252, latin-1, gb18030, shift_jis or utf-16"
        ) from exc
    if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    try:
        return Detected(data.decode(encoding), encoding, 1.0, "given")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: cannot be decoded as {encoding}, the encoding the mapping gives (bad byte "
            f"at offset {exc.start}); correct or remove the encoding: line to detect it"
        ) from exc


def detect(data: bytes, path: Path | str) -> Detected:
    """Decode `data`, the bytes of the file `path`, by the rules of the module docstring.

    Raises
    ------
    InputError
        A BOM whose encoding does not decode the rest, or a detection below
        :data:`MIN_CONFIDENCE`; the message shows the mapping line to add.
    """
    for bom, encoding, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{path}: starts with a {label} BOM (byte-order mark) but is not valid "
                    f"{label} (bad byte at offset {exc.start}); give the encoding in the "
                    "mapping, or re-export the file"
                ) from exc
            return Detected(text.removeprefix("\ufeff"), encoding, 1.0, "bom")
    try:
        return Detected(data.decode("utf-8"), "utf-8", 1.0, "utf-8")
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    readings = _readings(data)
    if not readings:
        raise _ask(path, [], 0.0)
    best = readings[0]
    rivals = [r.score - _prior_against(best, r) for r in readings[1:] if r.text != best.text]
    gap = min(rivals) - best.score if rivals else 1.0
    confidence = max(0.0, min(1.0, 1.0 - best.chaos)) * min(1.0, gap / MARGIN)
    confidence = round(confidence, 3)
    if confidence < MIN_CONFIDENCE:
        raise _ask(path, readings, confidence)
    try:
        text = data.decode(best.encoding)
    except UnicodeDecodeError:  # pragma: no cover - the detector decoded the whole file
        raise _ask(path, readings, 0.0) from None
    return Detected(text, best.encoding, confidence, "detected")


def _utf16_without_bom(data: bytes) -> Detected | None:
    """UTF-16 without a byte-order mark, told by its NUL bytes: text that is mostly ASCII has a
    NUL in (nearly) every other byte, on the high side of each 2-byte unit, and none on the low
    side; no 8-bit text has that pattern."""
    if len(data) < 4 or len(data) % 2:
        return None
    units = np.frombuffer(data, dtype=np.uint8).reshape(-1, 2) == 0
    for encoding, high, low in (("utf-16-le", 1, 0), ("utf-16-be", 0, 1)):
        if units[:, high].mean() >= 0.5 and not units[:, low].any():
            try:
                return Detected(data.decode(encoding), encoding, 1.0, "detected")
            except UnicodeDecodeError:
                return None
    return None


def _prior_against(best: _Reading, rival: _Reading) -> float:
    """The cp1252 prior does not count against the other common Windows page of Europe: a
    Czech or Polish cp1250 file reads as plausible Windows-1252 text, so a tie is asked about."""
    return CP1252_PRIOR if best.encoding == "cp1252" and rival.encoding in _EQUAL_FOOTING else 0.0


def _readings(data: bytes) -> list[_Reading]:
    """charset-normalizer's readings plus Windows-1252's, best score first, one per encoding;
    of readings giving the same text only the best-scored is kept, cp1252 before Latin-1.

    Each reading's text is that of the lines holding non-ASCII bytes only (up to
    :data:`_SAMPLE_LINES`): the ASCII lines read alike in every candidate, and decoding and
    scanning a large file once per candidate would cost seconds each."""
    from charset_normalizer import from_bytes

    sample = _non_ascii_lines(data)
    found: dict[str, _Reading] = {}
    for matches in (from_bytes(data), from_bytes(data, cp_isolation=["cp1252"])):
        for match in matches:
            name = _canonical(match.encoding)
            if name in found or name in ("ascii", "utf-8"):
                continue
            try:
                text = sample.decode(match.encoding)
            except (UnicodeDecodeError, LookupError):
                continue  # a line-splitting encoding (UTF-16 without a BOM): not a CSV export
            if _C1.intersection(text):
                continue  # control characters: the bytes 0x80-0x9F belong to another page
            chaos = max(float(match.chaos), _focused_chaos(text))
            found[name] = _Reading(name, text, chaos, float(match.coherence))
    ranked = sorted(found.values(), key=lambda r: (r.score, r.encoding != "cp1252"))
    unique: list[_Reading] = []
    seen: set[str] = set()
    for reading in ranked:
        if reading.text not in seen:
            seen.add(reading.text)
            unique.append(reading)
    return unique


def _non_ascii_lines(data: bytes) -> bytes:
    """The first :data:`_SAMPLE_LINES` lines of `data` holding a byte >= 0x80, joined by LF."""
    high = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) >= 0x80)
    lines: list[bytes] = []
    at = 0
    while at < len(high) and len(lines) < _SAMPLE_LINES:
        byte = int(high[at])
        start = data.rfind(b"\n", 0, byte) + 1
        end = data.find(b"\n", byte)
        end = len(data) if end < 0 else end
        lines.append(data[start:end].rstrip(b"\r"))
        at = int(np.searchsorted(high, end))
    return b"\n".join(lines)


def _focused_chaos(text: str) -> float:
    """charset-normalizer's mess ratio of the words holding non-ASCII letters only.

    Its ratio over the whole file is diluted by the ASCII around a few names: a GB18030 name read
    as Windows-1252 (``ÕÅΰ``) is plain gibberish, but one cell among dates and numbers."""
    from charset_normalizer.md import mess_ratio

    words = [
        word
        for word in dict.fromkeys(_NON_ASCII_WORD.findall(text))
        if any(ord(c) > 127 and c.isalpha() for c in word)
    ]  # words with non-ASCII letters: a lone symbol (€, –) is not gibberish
    focus = " ".join(words[:_FOCUS_WORDS])
    return float(mess_ratio(focus, 1.0)) if focus else 0.0


def _canonical(encoding: str) -> str:
    """cp1252 under its usual name; Latin-1 as ``latin-1``; others as charset-normalizer says."""
    name = codecs.lookup(encoding).name
    return {"iso8859-1": "latin-1"}.get(name, name)


def _ask(path: Path | str, readings: list[_Reading], confidence: float) -> InputError:
    guesses = [r.encoding for r in readings[:3]]
    line = _differing_line(readings[:3])
    shown = "; ".join(f"{r.encoding} reads {_line(r.text, line)!r}" for r in readings[:3])
    if not readings:  # nothing reads it as text
        return InputError(
            f"{path}: does not read as text in any encoding tried (not UTF-8, UTF-16 or a "
            "known code page); is it the right file? If it is text, add its encoding to the "
            f"table's source in the mapping file, e.g. `source: {{files: {Path(path).name}, "
            "encoding: cp1252}`."
        )
    example = f"encoding: {guesses[0]}" if guesses else "encoding: cp1252"
    others = f" (or {', '.join(guesses[1:])})" if len(guesses) > 1 else ""
    return InputError(
        f"{path}: cannot tell the text encoding of this file (it is not UTF-8, and the best "
        f"guess has confidence {confidence:.2f}, below {MIN_CONFIDENCE}). "
        + (f"For example, {shown}. " if shown else "")
        + "Add the encoding to the table's source in the mapping file, e.g. "
        f"`source: {{files: {Path(path).name}, {example}}}`{others}."
    )


def _differing_line(readings: list[_Reading]) -> int:
    """The 0-based number of the first line the readings disagree on (else the first non-ASCII
    line), so the message shows what each guess would make of the data."""
    split = [r.text.splitlines() for r in readings]
    if not split:
        return 0
    for number, line in enumerate(split[0]):
        others = [lines[number] if number < len(lines) else "" for lines in split[1:2]]
        if any(other != line for other in others):
            return number
    for number, line in enumerate(split[0]):
        if any(ord(c) > 127 for c in line):
            return number
    return 0


def _line(text: str, number: int) -> str:
    lines = text.splitlines()
    return lines[number].strip()[:60] if number < len(lines) else ""
