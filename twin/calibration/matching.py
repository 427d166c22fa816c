"""ERP↔CRM customer matching: link CRM ``accounts`` to ERP ``customers``, by key or by name.

A CRM and an ERP rarely share a clean key. :func:`match_accounts` links each account to one ERP
customer, in this order (the mapping file's optional ``match`` section picks the method and the
name columns, see :mod:`twin.calibration.mapping`):

1. ``by_key``: the account's ``customer_id`` is the id of a customer (``by: key`` or
   ``key_then_names``).
2. ``by_name``: otherwise its name fits exactly one customer's, trying three tiers in turn and
   stopping at the first that finds any customer: (a) the same name with the legal form kept
   (``BEACON ENGINEERING, GmbH`` is ``Beacon Engineering GmbH``, not ``Beacon Engineering & Co``),
   (b) the same name without legal forms (:func:`normalise_name`), (c) the tokens of one name
   contained in those of the other (a short name ``Beacon Engineering`` in one system, the full
   legal name ``Beacon Engineering Services GmbH`` in the other). So a full legal name is not made
   ambiguous by a namesake of another legal form, nor a short name by longer names.
3. ``ambiguous``: several customers fit equally well. They are *reported* (ids in
   ``candidate_ids``), never guessed: the account gets no customer.
4. ``unmatched``: no customer fits (or the account has no name). The account keeps no customer,
   so a stale key the ERP does not know is not passed on.

Normalisation: Unicode NFKC, case folding, accents removed, punctuation and ``&`` turned into
spaces, whitespace collapsed, and legal-form suffixes removed from the end, repeatedly (``Ltd``,
``Limited``, ``GmbH``, ``Inc``, ``LLC``, ``S.A.``, ``Co.``, ``& Co``, ``AG``, ``BV``, ``Oy``,
``AB``, ``有限公司`` and others, see :data:`LEGAL_FORMS`). A name made only of a legal form keeps
it. CJK runs are single tokens; one CJK token is contained in another when it is a substring of
it (``苏州联创`` in ``苏州联创机电``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from twin.errors import InputError

MatchMethod = Literal["key", "names", "key_then_names"]

LEGAL_FORMS: tuple[str, ...] = (
    "ltd", "limited", "gmbh", "mbh", "ag", "kg", "inc", "incorporated", "llc", "llp", "lp",
    "plc", "corp", "corporation", "co", "company", "sa", "s a", "sas", "sarl", "srl", "spa",
    "s p a", "sl", "s l", "bv", "b v", "nv", "n v", "oy", "oyj", "ab", "as", "a s", "aps",
    "pty", "pte", "kk", "k k", "se",
)  # fmt: skip
"""Legal-form suffixes removed from the end of a name, as normalised token sequences."""

CJK_LEGAL_FORMS: tuple[str, ...] = (
    "股份有限公司", "有限责任公司", "有限公司", "株式会社", "有限會社", "公司",
)  # fmt: skip
"""CJK legal forms removed from the end (or, for 株式会社, the start) of a name."""

OUTCOMES: tuple[str, ...] = ("by_key", "by_name", "ambiguous", "unmatched")
"""How an account ended, in the order of :class:`MatchResult.counts`."""

LINK_COLUMNS: tuple[str, ...] = (
    "account_id",
    "given_customer_id",
    "customer_id",
    "outcome",
    "candidates",
    "candidate_ids",
)

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_NOT_WORD = re.compile(f"[^0-9a-z{_CJK}]+")
_FORMS = sorted((tuple(f.split()) for f in LEGAL_FORMS), key=len, reverse=True)


def _is_cjk(token: str) -> bool:
    return bool(_CJK_RUN.fullmatch(token))


def name_tokens(name: object, *, legal_forms: bool = False) -> tuple[str, ...]:
    """The tokens of a normalised company name (see the module docstring); ``()`` when missing.

    With ``legal_forms=True`` the legal-form suffixes are kept (case, accents and punctuation
    are still normalised).
    """
    if name is None or name is pd.NA or (isinstance(name, float) and name != name):
        return ()
    if legal_forms:
        text = unicodedata.normalize("NFKC", str(name)).casefold()
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
        text = _CJK_RUN.sub(lambda m: f" {m.group(0)} ", unicodedata.normalize("NFKC", text))
        return tuple(_NOT_WORD.sub(" ", text.replace("&", " ")).split())
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = unicodedata.normalize("NFKC", text).strip()
    for form in CJK_LEGAL_FORMS:  # before punctuation goes: '有限公司' may follow a bracket
        stripped = re.sub(f"[\\s()（）]*{form}[\\s()（）.]*$", "", text)
        if stripped and stripped != text:
            text = stripped
    if text.startswith("株式会社") and len(text) > 4:
        text = text[4:]
    text = _CJK_RUN.sub(lambda m: f" {m.group(0)} ", text.replace("&", " "))
    tokens = _NOT_WORD.sub(" ", text).split()
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for form in _FORMS:
            if len(tokens) > len(form) and tuple(tokens[-len(form) :]) == form:
                tokens = tokens[: -len(form)]
                while len(tokens) > 1 and tokens[-1] == "and":  # 'Smith and Co'
                    tokens = tokens[:-1]
                changed = True
                break
    return tuple(tokens)


def normalise_name(name: object) -> str:
    """A company name reduced for comparison: ``'Beacon Works & Co.'`` → ``'beacon works'``."""
    return " ".join(name_tokens(name))


@dataclass
class MatchResult:
    """The outcome of :func:`match_accounts`.

    Attributes
    ----------
    links : pandas.DataFrame
        One row per account, columns :data:`LINK_COLUMNS`: ``given_customer_id`` the key the CRM
        held, ``customer_id`` the matched ERP customer (missing unless ``by_key`` or ``by_name``),
        ``outcome`` one of :data:`OUTCOMES`, ``candidates`` the number of customers that fitted
        the name (0 for a key match), ``candidate_ids`` their ids, ``;``-separated (ambiguous
        accounts: the candidates reported instead of guessed).
    customers : int
        ERP customers offered to the match.
    method : str
        ``key``, ``names`` or ``key_then_names``.
    """

    links: pd.DataFrame
    customers: int
    method: str

    @property
    def counts(self) -> pd.DataFrame:
        """Accounts per outcome: columns ``outcome, accounts``, all four outcomes listed."""
        values = self.links["outcome"].value_counts()
        return pd.DataFrame(
            {"outcome": list(OUTCOMES), "accounts": [int(values.get(o, 0)) for o in OUTCOMES]}
        )

    @property
    def accounts(self) -> int:
        """Accounts offered to the match."""
        return len(self.links)

    @property
    def matched(self) -> int:
        """Accounts linked to a customer, by key or by name."""
        return int(self.links["outcome"].isin(["by_key", "by_name"]).sum())

    @property
    def rate(self) -> float:
        """Matched accounts / accounts (dimensionless); NaN without accounts."""
        return self.matched / self.accounts if self.accounts else float("nan")

    @property
    def customers_linked(self) -> int:
        """Distinct ERP customers some account is linked to."""
        return int(self.links["customer_id"].dropna().nunique())

    def note(self) -> str:
        """One line for the quality notes and the report."""
        counts = dict(zip(self.counts["outcome"], self.counts["accounts"], strict=True))
        return (
            f"ERP-CRM match ({self.method}): {self.matched} of {self.accounts} CRM accounts "
            f"linked to an ERP customer ({100 * self.rate:.1f} %): {counts['by_key']} by key, "
            f"{counts['by_name']} by name; {counts['ambiguous']} ambiguous (candidates reported, "
            f"not guessed), {counts['unmatched']} unmatched; {self.customers_linked} of "
            f"{self.customers} ERP customers have an account"
        )


def match_accounts(
    accounts: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    method: MatchMethod = "key_then_names",
    account_name: str = "name",
    customer_name: str = "name",
) -> tuple[pd.DataFrame, MatchResult]:
    """Link CRM `accounts` to ERP `customers`; see the module docstring for the rules.

    Parameters
    ----------
    accounts : pandas.DataFrame
        Canonical ``accounts`` (``account_id``, ``customer_id`` and the name column).
    customers : pandas.DataFrame
        Canonical ``customers`` (``customer_id`` and the name column).
    method : {"key", "names", "key_then_names"}
        Link by the account's ``customer_id`` only, by name only, or by key and then by name for
        the accounts whose key the ERP does not know.
    account_name, customer_name : str
        The columns holding the names (canonical columns of each table).

    Returns
    -------
    (pandas.DataFrame, MatchResult)
        The accounts, same rows and columns, ``customer_id`` replaced by the matched customer
        (missing when ambiguous or unmatched); and the per-account links with the counts.

    Raises
    ------
    InputError
        An unknown `method`, or a name column that is not in its table.
    """
    if method not in ("key", "names", "key_then_names"):
        raise InputError(f'match "by" must be key, names or key_then_names, got {method!r}')
    by_names = method != "key"
    for table, frame, column in (
        ("accounts", accounts, account_name),
        ("customers", customers, customer_name),
    ):
        if by_names and column not in frame.columns:
            raise InputError(
                f"ERP-CRM match: table {table} has no column {column!r} to match names on; its "
                f"columns are: {', '.join(map(str, frame.columns))}"
            )
    ids = customers["customer_id"].dropna().astype(str)
    known = set(ids)
    index = _NameIndex(customers, customer_name) if by_names else None

    given = accounts["customer_id"] if "customer_id" in accounts.columns else None
    rows = []
    for position in range(len(accounts)):
        key = None if given is None else given.iloc[position]
        key = None if key is None or pd.isna(key) else str(key)
        account_id = accounts["account_id"].iloc[position]
        if method != "names" and key is not None and key in known:
            rows.append((account_id, key, key, "by_key", 0, ""))
            continue
        found: list[str] = []
        if index is not None:
            found = index.find(accounts[account_name].iloc[position])
        if len(found) == 1:
            rows.append((account_id, key, found[0], "by_name", 1, found[0]))
        else:
            outcome = "ambiguous" if found else "unmatched"
            rows.append((account_id, key, None, outcome, len(found), ";".join(found)))
    links = pd.DataFrame(rows, columns=list(LINK_COLUMNS))
    for column in ("account_id", "given_customer_id", "customer_id", "outcome", "candidate_ids"):
        links[column] = links[column].astype("string")
    links["candidates"] = links["candidates"].astype("int64")
    matched = accounts.reset_index(drop=True).copy()
    matched["customer_id"] = links["customer_id"].to_numpy()
    matched["customer_id"] = matched["customer_id"].astype("string")
    return matched, MatchResult(links, len(known), method)


class _NameIndex:
    """Customers by exact normalised name and by token, for exact and containment lookups."""

    def __init__(self, customers: pd.DataFrame, column: str) -> None:
        self.full: dict[tuple[str, ...], list[str]] = defaultdict(list)
        self.exact: dict[tuple[str, ...], list[str]] = defaultdict(list)
        self.by_token: dict[str, set[int]] = defaultdict(set)
        self.tokens: list[tuple[str, ...]] = []
        self.ids: list[str] = []
        self.cjk: list[int] = []
        seen: set[str] = set()
        for customer_id, name in zip(customers["customer_id"], customers[column], strict=True):
            if customer_id is None or pd.isna(customer_id) or str(customer_id) in seen:
                continue
            seen.add(str(customer_id))
            tokens = name_tokens(name)
            if not tokens:
                continue
            number = len(self.ids)
            self.ids.append(str(customer_id))
            self.tokens.append(tokens)
            self.exact[tokens].append(str(customer_id))
            self.full[name_tokens(name, legal_forms=True)].append(str(customer_id))
            for token in set(tokens):
                self.by_token[token].add(number)
            if any(_is_cjk(t) for t in tokens):
                self.cjk.append(number)

    def find(self, name: object) -> list[str]:
        """Ids of the customers whose name fits `name`, by the first tier that finds any."""
        tokens = name_tokens(name)
        if not tokens:
            return []
        full = name_tokens(name, legal_forms=True)
        if full in self.full:
            return sorted(self.full[full])
        if tokens in self.exact:
            return sorted(self.exact[tokens])
        pool: set[int] = set()
        for token in tokens:
            pool |= self.by_token.get(token, set())
        if any(_is_cjk(t) for t in tokens):
            pool.update(self.cjk)
        return sorted(self.ids[n] for n in pool if _contained(tokens, self.tokens[n]))


def _contained(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether every token of the shorter name is in the longer (CJK: as a substring)."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) == len(long) and set(short) != set(long):
        # same length: containment must be of CJK substrings (苏州联创 in 苏州联创机电)
        return all(_token_in(s, long) for s in short) or all(_token_in(t, short) for t in long)
    return all(_token_in(s, long) for s in short)


def _token_in(token: str, tokens: tuple[str, ...]) -> bool:
    if token in tokens:
        return True
    return _is_cjk(token) and len(token) >= 2 and any(_is_cjk(t) and token in t for t in tokens)
