"""Pseudonymisation of quarantine outputs."""

from __future__ import annotations

import pandas as pd

from twin.calibration.privacy import (
    KEY_ENV,
    pseudonym,
    pseudonym_key,
    pseudonymise,
    pseudonymise_together,
)


def test_ids_are_hashed_with_the_key_and_personal_columns_dropped(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C1", None],
            "name": ["Ann"] * 4,
            "email": ["a@x"] * 4,
            "segment": ["trade"] * 4,
        }
    )
    key = pseudonym_key(tmp_path)
    out = pseudonymise(frame, key)
    assert list(out.columns) == ["customer_id", "segment"]
    hashed = out["customer_id"].tolist()
    assert hashed[0] == hashed[2] != hashed[1]  # one customer, one pseudonym
    assert "C1" not in hashed and pd.isna(hashed[3])
    assert pseudonym_key(tmp_path) == key  # the folder keeps its key
    other = pseudonymise(frame, pseudonym_key(tmp_path / "elsewhere"))
    assert other["customer_id"].tolist()[0] != hashed[0]  # another key, other pseudonyms


def test_the_key_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "shared-secret")
    assert pseudonym_key(tmp_path) == b"shared-secret"
    assert not (tmp_path / ".pseudonym-key").exists()


def test_tables_pseudonymised_together_still_join_and_keep_their_columns():
    """An open state's tables: customer ids hashed alike everywhere; an order id built from a
    customer id is hashed in the table where it shows and in the one where it would not; an
    e-mail column is emptied, not dropped."""
    key = b"k"
    backlog = pd.DataFrame(
        {
            "order_id": ["C10027-20250101", "C10028-20250102"],
            "customer_id": ["C10027", "C10028"],
            "contact": ["a@example.com", "b@example.com"],
            "quantity_open": [3.0, 1.0],
        }
    )
    receivables = pd.DataFrame({"order_id": ["X1", "C10027-20250101"], "amount_open": [5.0, 6.0]})
    out = pseudonymise_together({"backlog": backlog, "receivables": receivables}, key)
    assert list(out["backlog"].columns) == list(backlog.columns)
    assert out["backlog"]["contact"].isna().all()
    assert out["backlog"]["customer_id"].tolist() == [
        pseudonym("C10027", key),
        pseudonym("C10028", key),
    ]
    hashed = pseudonym("C10027-20250101", key)
    assert out["backlog"]["order_id"].iloc[0] == hashed
    assert out["receivables"]["order_id"].tolist() == [pseudonym("X1", key), hashed]
    assert out["receivables"]["amount_open"].tolist() == [5.0, 6.0]
    text = out["backlog"].to_string() + out["receivables"].to_string()
    assert "C10027" not in text and "example.com" not in text
