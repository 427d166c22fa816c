"""Pseudonymisation: no person's name, e-mail, phone number or customer id leaves calibration in
clear.

Every table calibration writes for people (quarantined rows, the ERP-CRM links, the open state)
goes through :func:`pseudonymise` (tables that join on ids, as the open state's, through
:func:`pseudonymise_together`), which

- **drops person columns**: a column whose name says it holds a person or a way to reach one
  (``name``, ``first_name``, ``owner``, ``sales_rep``, ``agent``, ``contact``, ``email``,
  ``phone``, ``address``, ... see :func:`is_person_column`), and any text column in which a
  value looks like an e-mail address, whatever its name;
- **hashes id columns**: customer and account ids (:data:`ID_COLUMNS`) are replaced by a keyed
  hash (HMAC-SHA256, truncated to 16 hex digits), so rows of one customer still group together
  across files while the id cannot be looked up without the key;
- **hashes what embeds a customer id**: the values are checked, not only the names. An id column
  (``order_id``, ``payment_id``, ...) in which a value contains a customer id (an order id made
  of the customer number and a date) is hashed whole; in a text column (a quarantine
  ``detail``) each customer id found is replaced by its pseudonym. How an id is found inside a
  value is told in :class:`_IdFinder`.

The key comes from the environment variable ``TWIN_PSEUDONYM_KEY`` or, failing that, from a
random key file kept in the model folder (``.pseudonym-key``), so repeated calibrations into one
folder hash alike.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

ID_COLUMNS = ("customer_id", "account_id", "given_customer_id")
"""Columns holding a customer's or an account's id: always hashed."""

PERSONAL_COLUMNS = (
    "name",
    "full_name",
    "first_name",
    "firstname",
    "last_name",
    "lastname",
    "surname",
    "given_name",
    "family_name",
    "customer_name",
    "account_name",
    "contact_name",
)
"""Whole column names that hold a person's (or a customer's) name."""

PERSON_WORDS = (
    "owner",
    "rep",
    "salesperson",
    "salesman",
    "agent",
    "manager",
    "contact",
    "person",
    "email",
    "mail",
    "phone",
    "telephone",
    "tel",
    "mobile",
    "fax",
    "address",
    "street",
    "birth",
    "birthday",
)
"""Words of a column name (split at ``_``, ``-``, ``.`` and spaces) that mark a person column:
``account_owner``, ``sales_rep``, ``contact_phone``, ``e-mail``, ``street_address``."""

MIN_EMBEDDED_ID = 4
"""Shortest customer id looked for inside other values; a shorter one (``7``) would be found in
most numbers by chance."""

KEY_FILE = ".pseudonym-key"
KEY_ENV = "TWIN_PSEUDONYM_KEY"

_WORD = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_EMAIL = re.compile(r"[^@\s<>()\[\],;:]+@[^@\s<>()\[\],;:]+\.[A-Za-z]{2,}")
_ID_NAME = re.compile(r"(^|_)(id|ids|no|nr|number|num|key|ref|reference|code)$")


def pseudonym_key(folder: Path) -> bytes:
    """The hashing key: from ``TWIN_PSEUDONYM_KEY``, else the folder's key file (made once)."""
    from_env = os.environ.get(KEY_ENV)
    if from_env:
        return from_env.encode("utf-8")
    path = folder / KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


def pseudonym(value: object, key: bytes) -> object:
    """The keyed hash of one id (missing stays missing)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return value
    digest = hmac.new(key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:16]


def _words(column: str) -> list[str]:
    """The lower-case words of a column name: ``SalesRep``, ``sales_rep``, ``Sales Rep`` ->
    ``["sales", "rep"]``."""
    return [w for w in _WORD.split(_CAMEL.sub(r"\1_\2", column.strip()).lower()) if w]


def is_person_column(column: str) -> bool:
    """True when the name of ``column`` says it holds a person or a way to reach one."""
    words = _words(column)
    joined = "_".join(words)
    if joined in PERSONAL_COLUMNS or "e_mail" in joined or "sales_rep" in joined:
        return True
    return any(word in PERSON_WORDS for word in words)


def is_id_column(column: str) -> bool:
    """True when the name of ``column`` says it holds an identifier (``order_id``, ``po_no``)."""
    return bool(_ID_NAME.search("_".join(_words(column))))


def customer_ids(frames: Iterable[pd.DataFrame]) -> set[str]:
    """Every customer and account id in ``frames`` (their :data:`ID_COLUMNS`), as text."""
    found: set[str] = set()
    for frame in frames:
        for column in ID_COLUMNS:
            if column in frame.columns:
                found.update(_text(v) for v in frame[column].dropna().unique())
    found.discard("")
    return found


def pseudonymise(
    frame: pd.DataFrame,
    key: bytes,
    known_ids: Iterable[str] = (),
    hashed: Iterable[str] = (),
) -> pd.DataFrame:
    """A copy of ``frame`` with person columns dropped and ids hashed (see the module docstring).

    Parameters
    ----------
    frame : pandas.DataFrame
        A table about to be written for people.
    key : bytes
        The hashing key, from :func:`pseudonym_key`.
    known_ids : iterable of str, optional
        Customer and account ids of the whole history (:func:`customer_ids`), looked for inside
        the other columns' values; the ids of ``frame``'s own id columns are always looked for.
    hashed : iterable of str, optional
        Columns the caller has pseudonymised already, left as they are.
    """
    ids = {i for i in (*known_ids, *customer_ids([frame])) if len(i) >= MIN_EMBEDDED_ID}
    out = frame.drop(columns=[c for c in frame.columns if _is_personal(frame[c], str(c))])
    for column in ID_COLUMNS:
        if column in out.columns:
            out[column] = out[column].map(lambda v: pseudonym(_id(v), key)).astype(object)
    finder = _IdFinder(ids)
    skip = {*ID_COLUMNS, *hashed}
    for column in out.columns:
        if column in skip or not _is_text(out[column]):
            continue
        values = out[column]
        texts = [None if _missing(v) else _text(v) for v in values]
        if is_id_column(str(column)):
            # an id made of a customer id, or of an e-mail address: hashed whole
            if finder.embedded(texts) or _has_email(values):
                pairs = zip(texts, values, strict=True)
                out[column] = [v if t is None else pseudonym(t, key) for t, v in pairs]
                out[column] = out[column].astype(object)
        else:  # free text naming a customer: each id replaced by its pseudonym
            replaced, changed = [], False
            for text, value in zip(texts, values, strict=True):
                new = None if text is None else finder.replace(text, key)
                changed = changed or (new is not None and new != text)
                replaced.append(new if new is not None and new != text else value)
            if changed:
                out[column] = pd.Series(replaced, index=out.index, dtype=object)
    return out


def pseudonymise_together(tables: dict[str, pd.DataFrame], key: bytes) -> dict[str, pd.DataFrame]:
    """Tables that join on their ids (an open state's), pseudonymised so they still join and
    keep their columns.

    Each table goes through :func:`pseudonymise` with the customer ids of all of them; an id
    column hashed whole in one table (an order id built from customer ids) is hashed in every
    table that has it, so the same order keeps one id. A column :func:`pseudonymise` would drop
    (e-mail addresses in its values) is kept, emptied, so the tables keep their layout.
    """
    known = customer_ids(tables.values())
    out = {name: pseudonymise(frame, key, known) for name, frame in tables.items()}
    whole = {
        column
        for name, frame in tables.items()
        for column in frame.columns
        if column not in ID_COLUMNS
        and is_id_column(str(column))
        and column in out[name].columns
        and not out[name][column].equals(frame[column])
    }
    for name, frame in tables.items():
        result = out[name]
        for column in frame.columns:
            if column not in result.columns:
                result[column] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            elif column in whole and result[column].equals(frame[column]):
                values = frame[column]
                result[column] = values.map(lambda v: pseudonym(_id(v), key)).astype(object)
        out[name] = result.loc[:, list(frame.columns)]
    return out


#: Share of an id column's values that contain a customer id, anywhere, above which the column is
#: taken to be built from customer ids (chance hits of short numbers stay far below it).
EMBEDDED_SHARE = 0.5


class _IdFinder:
    """Finds customer ids inside other values.

    An id with a letter or a sign in it (``C10027``, ``anna@example.com``) is found anywhere; an
    id of digits only is found where no other digit or letter touches it (``10027-20250101``),
    since a short number turns up inside other numbers by chance. An id column in which at least
    :data:`EMBEDDED_SHARE` of the values contain an id, anywhere, counts as built from them too
    (``1002720250101``).

    The ids are kept in a set and every substring of a value of an id's length is looked up, so
    a value costs (its length x the number of distinct id lengths) set lookups, however many
    customers there are.
    """

    def __init__(self, ids: set[str]) -> None:
        self.ids = ids
        self.lengths = sorted({len(i) for i in ids}, reverse=True)  # longest first

    def matches(self, text: str) -> list[tuple[int, int, bool]]:
        """``(start, end, bounded)`` of the ids in ``text``, leftmost and longest first, not
        overlapping; ``bounded`` tells whether the match counts on its own (see above)."""
        found: list[tuple[int, int, bool]] = []
        if len(text) > MAX_SEARCHED:
            return found
        start = 0
        while start < len(text):
            for length in self.lengths:
                end = start + length
                if end <= len(text) and text[start:end] in self.ids:
                    piece = text[start:end]
                    bounded = not piece.isdigit() or (
                        (start == 0 or not text[start - 1].isalnum())
                        and (end == len(text) or not text[end].isalnum())
                    )
                    found.append((start, end, bounded))
                    start = end
                    break
            else:
                start += 1
        return found

    def embedded(self, texts: list[str | None]) -> bool:
        """True when the values ``texts`` of an id column are built from customer ids."""
        present = [t for t in texts if t is not None]
        if not present or not self.ids:
            return False
        hits = [self.matches(t) for t in present]
        if any(bounded for found in hits for _, _, bounded in found):
            return True
        return sum(bool(found) for found in hits) / len(present) >= EMBEDDED_SHARE

    def replace(self, text: str, key: bytes) -> str:
        """``text`` with each customer id in it replaced by its pseudonym."""
        if not self.ids:
            return text
        out, last = [], 0
        for start, end, bounded in self.matches(text):
            if bounded:
                out += [text[last:start], str(pseudonym(text[start:end], key))]
                last = end
        return "".join(out) + text[last:] if out else text


#: Longest value searched for customer ids: ids and quarantine details are far shorter.
MAX_SEARCHED = 1000


def _is_personal(values: pd.Series, column: str) -> bool:
    """A person column by its name, or a text column (not an id) holding an e-mail address."""
    if column in ID_COLUMNS:
        return False
    if is_person_column(column):
        return True
    return not is_id_column(column) and _has_email(values)


def _has_email(values: pd.Series) -> bool:
    if not _is_text(values):
        return False
    return bool(values.dropna().astype(str).str.contains(_EMAIL).any())


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _text(value: object) -> str:
    """An id as text; a whole float (``12346.0``, a numeric id read with gaps) without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _id(value: object) -> object:
    return value if _missing(value) else _text(value)
