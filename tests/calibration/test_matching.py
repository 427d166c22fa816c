"""ERP-CRM customer matching: name normalisation, the three name tiers, key precedence."""

import pandas as pd
import pytest

from twin.calibration.matching import match_accounts, name_tokens, normalise_name
from twin.errors import InputError


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Beacon Works & Co.", "beacon works"),
        ("ACME, Inc.", "acme"),
        ("Société Générale S.A.", "societe generale"),
        ("Müller GmbH", "muller"),
        ("  Foo   Bar  Ltd ", "foo bar"),
        ("Alpha Co., Ltd.", "alpha"),
        ("Widget LLC", "widget"),
        ("Smith and Co", "smith"),
        ("Northwind Limited", "northwind"),
        ("苏州联创机电有限公司", "苏州联创机电"),
        ("上海鑫泰机电有限公司 ", "上海鑫泰机电"),
        ("Co.", "co"),  # a name that is only a legal form keeps it
        ("ＡＢＣ Ｌｔｄ", "abc"),  # full-width letters (NFKC)
    ],
)
def test_normalise_name(name, expected):
    assert normalise_name(name) == expected


def test_missing_names_have_no_tokens():
    assert name_tokens(None) == () and name_tokens(float("nan")) == () and name_tokens(pd.NA) == ()
    assert name_tokens("Beacon Works GmbH", legal_forms=True) == ("beacon", "works", "gmbh")


CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["1", "2", "3", "4", "5", "6"],
        "name": [
            "Beacon Engineering GmbH",
            "Beacon Engineering & Co",
            "Oak Works Ltd",
            "苏州联创机电有限公司",
            "Linden Building Services AB",
            "Oak Works Holdings Ltd",
        ],
    }
)


def accounts(names, keys=None):
    keys = keys or [None] * len(names)
    return pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(len(names))],
            "name": names,
            "customer_id": pd.Series(keys, dtype="string"),
        }
    )


def test_each_tier_and_outcome():
    frame = accounts(
        [
            "anything",  # right key
            "BEACON ENGINEERING, GmbH",  # full legal name: not ambiguous with '& Co'
            "Beacon Engineering",  # short name: fits 1 and 2
            "Oak Works",  # exact without legal form: 3, not 'Oak Works Holdings'
            "苏州联创",  # CJK containment
            "Linden Building",  # token containment
            "Nobody Inc",
            None,
        ],
        ["3", None, None, "X9", None, None, None, None],
    )
    matched, result = match_accounts(frame, CUSTOMERS)
    links = result.links.set_index("account_id")
    assert links["outcome"].tolist() == [
        "by_key", "by_name", "ambiguous", "by_name", "by_name", "by_name", "unmatched",
        "unmatched",
    ]  # fmt: skip
    assert matched["customer_id"].tolist()[:2] == ["3", "1"]
    assert pd.isna(matched["customer_id"][2])  # ambiguous: reported, not guessed
    assert links.loc["A2", "candidate_ids"] == "1;2" and links.loc["A2", "candidates"] == 2
    assert matched["customer_id"].tolist()[3:6] == ["3", "4", "5"]
    assert links.loc["A3", "given_customer_id"] == "X9"  # the stale key is kept in the links
    assert result.counts["accounts"].tolist() == [1, 4, 1, 2]
    assert result.matched == 5 and result.rate == pytest.approx(5 / 8)
    assert "5 of 8 CRM accounts" in result.note()
    assert len(matched) == len(frame) and list(matched.columns) == list(frame.columns)


def test_by_key_only_leaves_unknown_keys_unmatched():
    frame = accounts(["Oak Works", "Oak Works"], ["3", "X9"])
    matched, result = match_accounts(frame, CUSTOMERS, method="key")
    assert result.links["outcome"].tolist() == ["by_key", "unmatched"]
    assert matched["customer_id"].isna().tolist() == [False, True]


def test_by_names_ignores_the_key():
    frame = accounts(["Oak Works"], ["5"])
    matched, result = match_accounts(frame, CUSTOMERS, method="names")
    assert result.links["outcome"].tolist() == ["by_name"] and matched["customer_id"][0] == "3"


def test_duplicate_customer_rows_are_one_candidate():
    customers = pd.concat([CUSTOMERS, CUSTOMERS.iloc[[2]]], ignore_index=True)
    _, result = match_accounts(accounts(["Oak Works"]), customers)
    assert result.links["outcome"].tolist() == ["by_name"]


def test_bad_method_or_column_is_an_input_error():
    with pytest.raises(InputError, match="key, names or key_then_names"):
        match_accounts(accounts(["x"]), CUSTOMERS, method="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no column 'label'"):
        match_accounts(accounts(["x"]), CUSTOMERS, customer_name="label")
