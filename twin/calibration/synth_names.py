"""The sample's synthetic names: ERP customers (some Chinese) and CRM accounts with a planted match.

The CRM knows the business customers by their short names, the ERP by their full legal names;
:func:`crm_accounts` writes the CRM's accounts so that the outcome an ERP-CRM match must reach is
known (:data:`MATCH_PLANTS`), derived from how the names were built, not by running the matcher.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.scenario.schema import Scenario

CHINESE_NAME_RATE = 0.06

# CRM accounts of the business segments (see the module docstring).
CRM_SEGMENTS = ("KA", "TR")
CRM_KEY_RATE = 0.5  # share of accounts that carry the right ERP customer number
CRM_NO_ACCOUNT = 6  # business customers the CRM does not know
CRM_STALE_KEYS = 4  # accounts with an ERP number the ERP does not know (then matched by name)
CRM_AMBIGUOUS = 3  # accounts whose short name fits several ERP customers
CRM_BRAND_ONLY = 2  # Chinese accounts named by place and brand only (found by containment)
CRM_PROSPECTS = 4  # CRM accounts of prospects that are no ERP customers

MATCH_PLANTS = {
    "by_key": "accounts carrying the right ERP customer number",
    "by_name": "accounts whose name fits exactly one ERP customer (no number, or a stale one)",
    "ambiguous": "accounts whose short name fits several ERP customers",
    "unmatched": "accounts of prospects (no ERP customer) or of customers deleted from "
    "customers.csv",
    "no_account": "business customers in customers.csv without a CRM account",
}
"""The planted ERP-CRM match outcomes, by the key used in the README's match table."""


_STEMS = (
    "Alder", "Birch", "Carver", "Delta", "Elm", "Falcon", "Granite", "Harbor", "Iron", "Juniper",
    "Keystone", "Linden", "Meridian", "Northgate", "Oak", "Pioneer", "Quarry", "Ridge", "Summit",
    "Tamarack", "Union", "Vale", "Westbrook", "Yarrow", "Zenith", "Copper", "Anchor", "Beacon",
)  # fmt: skip
_TRADES = (
    "Engineering", "Construction", "Electrical", "Plumbing", "Mechanical", "Fabrication",
    "Installations", "Building Services", "Machining", "Maintenance", "Contractors", "Works",
)  # fmt: skip
_FORMS = ("Ltd", "GmbH", "AG", "Inc", "& Co", "BV", "SA", "Oy", "AB")
_PROSPECT_TRADES = ("Welding", "Logistics", "Surveying", "Scaffolding")  # not among _TRADES
_FIRST = (
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Grace", "Henrik", "Ines", "Jonas", "Karin",
    "Leo", "Maria", "Nils", "Olga", "Paul", "Rosa", "Sven", "Tara", "Uwe", "Vera", "Wei", "Yuki",
)  # fmt: skip
_LAST = (
    "Andersen", "Berger", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ivanova",
    "Jensen", "Keller", "Larsen", "Meyer", "Novak", "Olsen", "Petrov", "Rossi", "Schmidt",
    "Tanaka", "Weber", "Zhang", "Nowak", "Moreau", "Silva",
)  # fmt: skip
_CN_PLACES = ("上海", "深圳", "苏州", "宁波", "广州", "天津", "杭州", "青岛", "无锡", "佛山")
_CN_WORDS = ("华东", "恒通", "金盛", "宏达", "永信", "博远", "鑫泰", "安达", "精工", "联创")
_CN_TRADES = ("五金", "机电", "电气", "建筑工程", "管道设备", "工业", "紧固件", "安全设备")


def has_cjk(text: object) -> bool:
    """Whether `text` holds a CJK unified ideograph."""
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def customers_table(
    scenario: Scenario, codes: list[str], rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """The customer master, and each business customer's short name parts: (stem, trade) for
    'Beacon Engineering GmbH', (place + brand, trade) for '苏州联创机电有限公司'."""
    rows = []
    parts: dict[str, tuple[str, str]] = {}
    limits = {"KA": (50_000, 250_000), "TR": (5_000, 25_000)}
    for number, segment in enumerate(scenario.segments.values()):
        code = codes[number]
        for customer in range(segment.customers):
            customer_id = f"C{(number + 1) * 10_000 + customer + 1}"
            if code == "WS":
                label = f"{_pick(rng, _FIRST)} {_pick(rng, _LAST)}"
                limit = 0
            else:
                if rng.random() < CHINESE_NAME_RATE:
                    brand = f"{_pick(rng, _CN_PLACES)}{_pick(rng, _CN_WORDS)}"
                    trade = _pick(rng, _CN_TRADES)
                    label = f"{brand}{trade}有限公司"
                    parts[customer_id] = (brand, trade)
                else:
                    stem, trade = _pick(rng, _STEMS), _pick(rng, _TRADES)
                    label = f"{stem} {trade} {_pick(rng, _FORMS)}"
                    parts[customer_id] = (stem, trade)
                low, high = limits.get(code, (5_000, 25_000))
                limit = int(rng.integers(low // 1000, high // 1000 + 1)) * 1000
            rows.append((customer_id, label, code, limit))
    frame = pd.DataFrame(rows, columns=["CustomerNo", "Name", "CustomerClass", "CreditLimit"])
    return frame, parts


def crm_accounts(
    everyone: pd.DataFrame,
    master: pd.DataFrame,
    parts: dict[str, tuple[str, str]],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The CRM's account export of the business customers, and the planted match outcomes.

    `everyone` is the customer list before the orphans were deleted, `master` the customers.csv
    written. See the module docstring for what is planted.
    """
    business = everyone[everyone["CustomerClass"].isin(CRM_SEGMENTS)].reset_index(drop=True)
    in_master = business["CustomerNo"].isin(master["CustomerNo"]).to_numpy()
    ids = business["CustomerNo"].to_numpy(dtype=object)
    # how many customers of the ERP master share a short name or a full name
    known = [c for c in master["CustomerNo"] if c in parts]
    short_count = pd.Series([parts[c] for c in known], dtype=object).value_counts()
    brand_count = pd.Series([parts[c][0] for c in known], dtype=object).value_counts()
    full_count = master["Name"].value_counts()

    def shares(customer_id: str) -> int:
        return int(short_count.get(parts[customer_id], 0))

    def by_count(n: int) -> str:
        return "unmatched" if n == 0 else "by_name" if n == 1 else "ambiguous"

    without = set(rng.choice(ids[in_master], size=CRM_NO_ACCOUNT, replace=False))
    # a customer whose full legal name another ERP customer has too can only be told apart by
    # its number: the CRM carries it (else every such account would be ambiguous)
    twin_name = business["Name"].map(full_count).fillna(0).to_numpy() > 1
    keyed = (rng.random(len(business)) < CRM_KEY_RATE) | (twin_name & in_master)
    # ambiguous short names among the unkeyed customers whose short name is shared
    shared = [
        i for i, c in enumerate(ids) if in_master[i] and not keyed[i] and c not in without
        and shares(c) > 1
    ]  # fmt: skip
    ambiguous = set(rng.choice(shared, size=min(CRM_AMBIGUOUS, len(shared)), replace=False))
    unique_cjk = [
        i for i, c in enumerate(ids) if in_master[i] and not keyed[i] and i not in ambiguous
        and c not in without and has_cjk(parts[c][0]) and brand_count[parts[c][0]] == 1
    ]  # fmt: skip
    brand_only = set(
        rng.choice(unique_cjk, size=min(CRM_BRAND_ONLY, len(unique_cjk)), replace=False)
    )
    unkeyed = [i for i, c in enumerate(ids) if not keyed[i] and in_master[i] and c not in without]
    stale = set(rng.choice(unkeyed, size=min(CRM_STALE_KEYS, len(unkeyed)), replace=False))

    rows = []
    outcome = {key: 0 for key in MATCH_PLANTS}
    outcome["no_account"] = len(without)
    for i, customer_id in enumerate(ids):
        if customer_id in without:
            continue
        full = str(business["Name"][i])
        stem, trade = parts[customer_id]
        short = f"{stem}{trade}" if has_cjk(stem) else f"{stem} {trade}"
        key = customer_id if keyed[i] else None
        if not in_master[i]:
            # deleted from the ERP: its old number leads nowhere, its full name only to a namesake
            name, key = full, customer_id
            same_full = int(full_count.get(full, 0))
            planted = by_count(same_full) if same_full else by_count(shares(customer_id))
        elif keyed[i]:
            name, planted = _case_variant(rng, short), "by_key"
        elif i in ambiguous:
            name, planted = _case_variant(rng, short), "ambiguous"
        elif i in brand_only:
            name, planted = stem, "by_name"
        elif shares(customer_id) > 1:  # the short name would be ambiguous: the full name is kept
            name, planted = _case_variant(rng, full), by_count(int(full_count[full]))
        else:
            name, planted = _case_variant(rng, short), "by_name"
        if i in stale:
            key = f"C{90_001 + len(rows)}"  # a number the ERP never had
        outcome[planted] += 1
        segment = "Key account" if business["CustomerClass"][i] == "KA" else "Trade"
        owner = f"{_pick(rng, _FIRST)} {_pick(rng, _LAST)}"
        rows.append((name, key, segment, owner, int(business["CreditLimit"][i])))
    for number in range(CRM_PROSPECTS):  # prospects the ERP has never invoiced
        trade = _PROSPECT_TRADES[number % len(_PROSPECT_TRADES)]
        name = f"{_pick(rng, _STEMS)} {trade} {_pick(rng, _FORMS)}"
        owner = f"{_pick(rng, _FIRST)} {_pick(rng, _LAST)}"
        rows.append((name, None, "Prospect", owner, 0))
        outcome["unmatched"] += 1  # no ERP name holds these trades (see _PROSPECT_TRADES)
    order = rng.permutation(len(rows))
    accounts = pd.DataFrame(
        [rows[k] for k in order],
        columns=["AccountName", "ErpCustomerNo", "Segment", "Owner", "CreditLimit"],
    )
    accounts.insert(0, "AccountId", [f"A{100_001 + k}" for k in range(len(accounts))])
    return accounts, outcome


def _case_variant(rng: np.random.Generator, name: str) -> str:
    """`name` as typed into a CRM: mostly as is, sometimes upper or lower case."""
    draw = rng.random()
    return name.upper() if draw < 0.15 else name.lower() if draw < 0.3 else name


def _pick(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    return words[int(rng.integers(len(words)))]
