"""Pseudonymisation: no customer name, e-mail or phone number leaves calibration in clear.

Identifier columns (customer and account ids) are replaced by a keyed hash (HMAC-SHA256,
truncated to 16 hex digits), so rows of one customer still group together across files while
the id cannot be looked up without the key. Columns holding personal data (names, e-mail
addresses, phone numbers, street addresses) are dropped. The key comes from the environment
variable ``TWIN_PSEUDONYM_KEY`` or, failing that, from a random key file kept in the model folder
(``.pseudonym-key``), so repeated calibrations into one folder hash alike.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pandas as pd

ID_COLUMNS = ("customer_id", "account_id")
PERSONAL_COLUMNS = (
    "name",
    "email",
    "e_mail",
    "phone",
    "telephone",
    "address",
    "street",
    "contact",
    "contact_name",
)
KEY_FILE = ".pseudonym-key"
KEY_ENV = "TWIN_PSEUDONYM_KEY"


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


def pseudonymise(frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """A copy of ``frame`` with id columns hashed and personal columns dropped."""
    out = frame.drop(columns=[c for c in frame.columns if c.lower() in PERSONAL_COLUMNS])
    for column in ID_COLUMNS:
        if column in out.columns:
            out[column] = out[column].map(lambda v: pseudonym(v, key)).astype(object)
    return out
