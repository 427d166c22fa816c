"""The scenario file's top-level model: :class:`Scenario`, assembling every section.

A scenario is a plain YAML mapping validated into frozen pydantic models; unknown keys are
errors, so a typo never silently becomes a default. Time is in days throughout, except where a key
names another unit (``minutes_per_order``, ``cost_per_hour``, shift times as ``"HH:MM-HH:MM"``).
Money is in one currency, the scenario's own.

Each section lives in a module named after it (``run_control``, ``catalogue``, ``arrivals``,
``segments``, ``inventory``, ``staffing``, ``costs`` and the levers ``promotions``, ``credit``,
``service``, ``customers``, ``cash``); this module assembles them and checks the references
between them. The models hold no behaviour beyond validation; ``twin.model`` turns a validated
scenario into a running SimPy network.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, field_validator, model_validator

from twin.scenario.cash import CashPolicy
from twin.scenario.cash import check_references as check_cash
from twin.scenario.catalogue import Product, Supplier, read_products_csv
from twin.scenario.checks import Check
from twin.scenario.common import Name, Section
from twin.scenario.costs import Costs
from twin.scenario.credit import CreditPolicy
from twin.scenario.credit import check_references as check_credit
from twin.scenario.customers import CustomerLoop
from twin.scenario.customers import check_references as check_customers
from twin.scenario.initial_state import OpenState, check_state, read_state, state_start_date
from twin.scenario.inventory import Fulfilment, Inventory
from twin.scenario.prices import PriceRows, read_prices
from twin.scenario.promotions import Promotion
from twin.scenario.promotions import check_references as check_promotions
from twin.scenario.report import Report
from twin.scenario.run_control import RunControl
from twin.scenario.segments import Segment
from twin.scenario.service import AfterSales
from twin.scenario.service import check_references as check_after_sales
from twin.scenario.staffing import Staffing


class Scenario(Section):
    """A whole scenario: one company, its policies, and how to run it."""

    name: Name
    description: str = ""
    currency: str | None = Field(
        None,
        description="ISO 4217 code of the scenario's money (e.g. EUR), shown on every amount in "
        "reports and tables; absent: amounts are labelled 'currency'. Changes no number.",
    )
    run: RunControl = Field(default_factory=RunControl)
    products: list[Product] = Field(default_factory=list)
    products_file: str | None = Field(
        None, description="CSV with columns sku, unit_cost, price, supplier[, category]."
    )
    prices_file: str | None = Field(
        None,
        description="Parquet (or CSV) of unit-price quantiles per SKU and segment: each order "
        "line's price is drawn from them (see twin.scenario.prices); absent: every line sells "
        "at the product's price.",
    )
    suppliers: dict[Name, Supplier] = Field(min_length=1)
    segments: dict[Name, Segment] = Field(min_length=1)
    inventory: Inventory
    fulfilment: Fulfilment = Field(default_factory=Fulfilment)
    staffing: Staffing | None = None
    costs: Costs = Field(default_factory=Costs)
    promotions: list[Promotion] = Field(
        default_factory=list, description="Price promotions: when, what, how deep."
    )
    credit: CreditPolicy | None = Field(None, description="Credit rules at order entry.")
    after_sales: AfterSales | None = Field(None, description="Tickets, engineers, spare parts.")
    customers: CustomerLoop | None = Field(
        None, description="Satisfaction, repeat purchase and churn, and the CRM pipeline."
    )
    initial_state: str | None = Field(
        None,
        description="Folder of the company's open state at an as-of date (`twin calibrate "
        "--as-of` writes it): the run starts there, at run.start_date = the as-of date "
        "(docs/open_state.md).",
    )
    cash: CashPolicy | None = Field(
        None, description="Opening cash and payment terms: the cash book, payables and DPO."
    )
    report: Report | None = Field(
        None, description="Extra result tables, e.g. the weekly look-ahead (lookahead_weeks)."
    )
    variants: dict[Name, dict[str, Any]] = Field(
        default_factory=dict,
        description="Named policy variants: overrides of this scenario, for `twin compare`.",
    )
    checks: list[Check] = Field(
        default_factory=list, description="KPI targets that `twin check` turns into a gate."
    )

    # the prices file's checked rows, read once at validation (None without a prices_file)
    _line_prices: PriceRows | None = PrivateAttr(None)
    # the open state's checked tables, read once at validation (None without initial_state)
    _open_state: OpenState | None = PrivateAttr(None)

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError(
                f"{value!r} is not a currency code: give the ISO 4217 code in three capital "
                "letters, e.g. EUR, USD or GBP"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _start_at_state(cls, data: object) -> object:
        # a run from a state starts on its as-of date: run.start_date defaults to it
        if isinstance(data, dict) and isinstance(data.get("initial_state"), str):
            return state_start_date(data)
        return data

    @model_validator(mode="before")
    @classmethod
    def _read_products_file(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("products_file") is None:
            return data
        if data.get("products"):
            raise ValueError(
                "products_file: give products inline ('products') or in 'products_file', not both"
            )
        return {**data, "products": read_products_csv(Path(str(data["products_file"])))}

    @model_validator(mode="after")
    def _references_resolve(self) -> Scenario:
        if not self.products:
            raise ValueError("the scenario has no products: give 'products' or 'products_file'")
        skus = [p.sku for p in self.products]
        seen: set[str] = set()
        for sku in skus:
            if sku in seen:
                raise ValueError(f"SKU {sku!r} is listed twice in products")
            seen.add(sku)
        categories = {p.category for p in self.products if p.category}
        for number, product in enumerate(self.products):
            if product.supplier not in self.suppliers:
                raise ValueError(
                    f"products.{number}.supplier: product {product.sku!r} names supplier "
                    f"{product.supplier!r}, which is not in suppliers "
                    f"({', '.join(sorted(self.suppliers))})"
                )
        for name, segment in self.segments.items():
            mix = segment.sku_mix
            for sku in mix.weights or {}:
                if sku not in seen:
                    raise ValueError(f"segments.{name}.sku_mix.weights.{sku}: unknown SKU {sku!r}")
            if mix.weights_file is not None:
                unknown = [sku for sku in mix.weight_map() if sku not in seen]
                if unknown:
                    raise ValueError(
                        f"segments.{name}.sku_mix.weights_file: {mix.weights_file} names "
                        f"{len(unknown)} SKU(s) not in products, e.g. {unknown[0]!r}"
                    )
            for number, category in enumerate(mix.categories or []):
                if category not in categories:
                    raise ValueError(
                        f"segments.{name}.sku_mix.categories.{number}: unknown category "
                        f"{category!r}"
                    )
        for supplier in self.inventory.suppliers:
            if supplier not in self.suppliers:
                raise ValueError(f"inventory.suppliers.{supplier}: unknown supplier {supplier!r}")
        for category in self.inventory.categories:
            if category not in categories:
                raise ValueError(f"inventory.categories.{category}: unknown category {category!r}")
        for sku in self.inventory.skus:
            if sku not in seen:
                raise ValueError(f"inventory.skus.{sku}: unknown SKU {sku!r}")
        if self.inventory.skus_file is not None:
            unknown = [sku for sku in self.inventory.sku_rules() if sku not in seen]
            if unknown:
                raise ValueError(
                    f"inventory.skus_file: {self.inventory.skus_file} names {len(unknown)} "
                    f"SKU(s) not in products, e.g. {unknown[0]!r}"
                )
        return self

    @model_validator(mode="after")
    def _read_prices_file(self) -> Scenario:
        if self.prices_file is not None:
            self._line_prices = read_prices(
                Path(self.prices_file), {p.sku for p in self.products}, set(self.segments)
            )
        return self

    @model_validator(mode="after")
    def _read_initial_state(self) -> Scenario:
        if self.initial_state is not None:
            self._open_state = read_state(Path(self.initial_state))
            check_state(self, self._open_state)
        return self

    @property
    def open_state(self) -> OpenState | None:
        """The open state the run starts from (``twin.scenario.initial_state``); None: the
        idealised start (stock at its initial level, nothing open)."""
        return self._open_state

    @property
    def line_prices(self) -> PriceRows | None:
        """The prices file's rows (see ``twin.scenario.prices``); None: list prices."""
        return self._line_prices

    @model_validator(mode="after")
    def _lever_references(self) -> Scenario:
        # each lever section checks what it names elsewhere (SKUs, segments, staff roles)
        check_promotions(self)
        check_credit(self)
        check_after_sales(self)
        check_customers(self)
        check_cash(self)
        if self.staffing is not None:
            self.staffing.check_run(self.run)
        return self

    @property
    def horizon_days(self) -> float:
        return self.run.horizon_days

    @property
    def warmup_days(self) -> float:
        return self.run.warmup_days
