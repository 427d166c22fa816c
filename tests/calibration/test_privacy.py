"""Pseudonymisation of quarantine outputs."""

from __future__ import annotations

import pandas as pd

from twin.calibration.privacy import KEY_ENV, pseudonym_key, pseudonymise


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
