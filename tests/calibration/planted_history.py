"""A trimmed copy of ``calibration/sample`` with personal data planted in every table.

:func:`plant_sample` keeps every :data:`EVERY`-th customer of the sample and the orders, lines,
invoices and payments of those customers (all products and purchase orders), and plants:

- customer ids that are e-mail addresses or phone numbers (a third each; the rest keep their
  ``C``-numbers), changed alike in customers, orders, invoices and the CRM accounts;
- order ids built from the customer id and the order date (``<customer>-<yyyymmdd>-<n>``);
- person names as customer names and as the CRM accounts' owners;
- e-mail, phone and contact-person columns the mapping does not read, in every table;
- the sample's orders of unknown customers, and three repeated CRM accounts, so that the
  quarantine files hold rows of every kind.

It returns the strings that must appear in no file written from that history.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "calibration" / "sample"
MAPPING = ROOT / "calibration" / "mappings" / "sample.yaml"

EVERY = 20
"""One customer in this many is kept: about 140 customers and 6,000 orders, still two years."""


def _person(n: int, role: str) -> str:
    return f"Zorana {role}{n:04d}ova"


def _email(n: int) -> str:
    return f"zorana.planted{n:04d}@mail-planted.example"


def _phone(n: int) -> str:
    return f"+44 20 7946 {n:04d}"


def plant_sample(folder: Path) -> set[str]:
    """Write the trimmed, planted history into ``folder``; return the planted strings."""
    folder.mkdir(parents=True, exist_ok=True)
    planted: set[str] = set()
    customers = pd.read_csv(SAMPLE / "customers.csv", encoding="gb18030", dtype=str)
    customers = customers.iloc[::EVERY].reset_index(drop=True)
    new_id: dict[str, str] = {}
    for n, old in enumerate(customers["CustomerNo"]):
        if n % 3 == 0:
            new_id[old] = _email(n)
        elif n % 3 == 1:
            new_id[old] = _phone(n)
        else:
            new_id[old] = old  # kept: still embedded in the order ids
        planted.add(new_id[old])
    customers["CustomerNo"] = customers["CustomerNo"].map(new_id)
    customers["Name"] = [_person(n, "Customer") for n in range(len(customers))]
    customers["Email"] = [_email(n + 5000) for n in range(len(customers))]
    customers["Phone"] = [_phone(n + 5000) for n in range(len(customers))]
    planted.update(customers["Name"], customers["Email"], customers["Phone"])
    customers.to_csv(folder / "customers.csv", index=False, encoding="gb18030")

    orders = pd.read_parquet(SAMPLE / "sales_orders.parquet")
    # the sample's orders of customers it does not list stay in, to be quarantined with their
    # lines, invoices and payments: their customer numbers must not show either
    everyone = set(
        pd.read_csv(SAMPLE / "customers.csv", encoding="gb18030", dtype=str)["CustomerNo"]
    )
    orphans = set(orders["SoldTo"]) - everyone
    planted.update(orphans)
    orders = orders[orders["SoldTo"].isin(new_id) | orders["SoldTo"].isin(orphans)].copy()
    orders["SoldTo"] = orders["SoldTo"].map(lambda c: new_id.get(c, c))
    order_id = {
        old: f"{customer}-{day:%Y%m%d}-{n}"
        for n, (old, customer, day) in enumerate(
            zip(orders["SalesOrder"], orders["SoldTo"], orders["OrderDate"], strict=True)
        )
    }
    orders["SalesOrder"] = orders["SalesOrder"].map(order_id)
    orders["SalesRepEmail"] = [_email(9000 + n % 7) for n in range(len(orders))]
    planted.update(orders["SalesRepEmail"])
    orders.to_parquet(folder / "sales_orders.parquet", index=False)

    lines = pd.read_parquet(SAMPLE / "order_lines.parquet")
    lines = lines[lines["SalesOrder"].isin(order_id)].copy()
    lines["SalesOrder"] = lines["SalesOrder"].map(order_id)
    lines["EnteredBy"] = _person(1, "Clerk")
    planted.add(_person(1, "Clerk"))
    lines.to_parquet(folder / "order_lines.parquet", index=False)

    invoices = pd.read_parquet(SAMPLE / "invoices.parquet")
    invoices = invoices[invoices["SalesOrder"].isin(order_id)].copy()
    invoices["SalesOrder"] = invoices["SalesOrder"].map(order_id)
    invoices["Payer"] = invoices["Payer"].map(lambda c: new_id.get(c, c))
    invoices["BillingContact"] = _person(2, "Billing")
    planted.add(_person(2, "Billing"))
    invoices.to_parquet(folder / "invoices.parquet", index=False)

    payments = pd.read_parquet(SAMPLE / "payments.parquet")
    payments = payments[payments["InvoiceNo"].isin(invoices["InvoiceNo"])].copy()
    payments["PayerPhone"] = _phone(7777)
    planted.add(_phone(7777))
    payments.to_parquet(folder / "payments.parquet", index=False)

    moves = pd.read_parquet(SAMPLE / "stock_moves.parquet")  # receipts, the kept orders' issues
    moves = moves[moves["SalesOrder"].isna() | moves["SalesOrder"].isin(order_id)].copy()
    moves["SalesOrder"] = moves["SalesOrder"].astype(object).map(order_id)
    moves.to_parquet(folder / "stock_moves.parquet", index=False)

    accounts = pd.read_csv(SAMPLE / "crm_accounts.csv", dtype=str)
    accounts["ErpCustomerNo"] = accounts["ErpCustomerNo"].map(lambda c: new_id.get(c, c))
    accounts["Owner"] = [_person(n % 9, "Owner") for n in range(len(accounts))]
    accounts["ContactEmail"] = _email(8888)
    accounts = pd.concat([accounts, accounts.head(3)], ignore_index=True)  # quarantined twice
    planted.update(accounts["Owner"], [_email(8888)])
    accounts.to_csv(folder / "crm_accounts.csv", index=False)

    products = (SAMPLE / "products.csv").read_text(encoding="utf-8").splitlines()
    products = [f"{products[0]};ProductManager"] + [
        f"{line};{_person(3, 'Manager')}" for line in products[1:]
    ]
    (folder / "products.csv").write_text("\n".join(products) + "\n", encoding="utf-8")
    planted.add(_person(3, "Manager"))

    purchases = pd.read_csv(SAMPLE / "purchase_orders.csv", dtype=str)
    purchases["Buyer"] = _person(4, "Buyer")
    planted.add(_person(4, "Buyer"))
    purchases.to_csv(folder / "purchase_orders.csv", index=False)
    return planted


def copy_mapping(folder: Path) -> Path:
    """The sample's mapping, beside the planted history."""
    return Path(shutil.copy(MAPPING, folder / "mapping.yaml"))


def written_text(path: Path) -> str:
    """The text of one written file: a PDF's extracted text, a Parquet file as CSV, else the
    bytes read as UTF-8 (images are searched as bytes too: a name drawn as text is not found)."""
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    if path.suffix == ".parquet":
        return pd.read_parquet(path).to_csv(index=False)
    return path.read_bytes().decode("utf-8", errors="replace")
