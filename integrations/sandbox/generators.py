"""Deterministic sandbox records: each record is a pure function of (seed, entity, index), so none is kept in memory."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

SUPPLIERS = "suppliers"
PURCHASE_ORDERS = "purchase_orders"
RECEIPTS = "receipts"
ENTITIES = (SUPPLIERS, PURCHASE_ORDERS, RECEIPTS)
_ENTITY_SALT = {SUPPLIERS: 11, PURCHASE_ORDERS: 23, RECEIPTS: 37}

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Base records were "last updated" from this moment on; changes made at run time are stamped with the clock.
BASE_UPDATED_US = int((datetime(2024, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()) * 1_000_000
# Base records share their updated-at in groups of three (one batch import each), so clients meet ties.
TIE_GROUP = 3
_DAY_US = 86_400_000_000
_STEP_US = {SUPPLIERS: 3_600_000_000, PURCHASE_ORDERS: 600_000_000, RECEIPTS: 300_000_000}

# PO index i is a services PO (two-way match, never received) when i % 7 == 3; all others are three-way.
_SERVICES_EVERY = 7
_SERVICES_AT = 3
_GOODS_OFFSETS = (0, 1, 2, 4, 5, 6)
# One receipt in RETURN_EVERY gets a return (negative quantity) recorded after it.
RETURN_EVERY = 33

_EIN_PREFIXES = tuple(
    f"{prefix:02d}" for prefix in (*range(1, 7), *range(10, 17), *range(20, 28), *range(30, 49), *range(50, 69))
) + tuple(f"{prefix:02d}" for prefix in (*range(71, 78), *range(80, 89), *range(90, 96), 98, 99))
NAME_STEMS = (
    "Meridian", "Beacon", "Cedar", "Summit", "Harbor", "Keystone", "Pioneer", "Granite", "Lakeside", "Evergreen",
    "Riverbend", "Silverline", "Oakridge", "Crescent", "Northwind", "Bluepeak", "Ironwood", "Clearwater",
    "Redstone", "Highland",
)  # fmt: skip
_NAME_TRADES = (
    "Medical Supply",
    "Surgical",
    "Healthcare Products",
    "Laboratories",
    "Pharma Distribution",
    "Linen Services",
    "Biomedical Services",
    "Office Solutions",
)
NAME_FORMS = ("Inc.", "LLC", "Co.", "Corp.")
_STREETS = ("Main St", "Commerce Dr", "Industrial Pkwy", "Harbor Blvd", "Elm St", "Park Ave", "Lakeview Rd", "Mill Rd")
_CITIES = (
    ("Boston", "MA", "021", "617"),
    ("Worcester", "MA", "016", "508"),
    ("Providence", "RI", "029", "401"),
    ("Hartford", "CT", "061", "860"),
    ("Albany", "NY", "122", "518"),
    ("Columbus", "OH", "432", "614"),
    ("Nashville", "TN", "372", "615"),
    ("Denver", "CO", "802", "303"),
    ("Minneapolis", "MN", "554", "612"),
    ("Richmond", "VA", "232", "804"),
)
_BANKS = ("First Harbor Bank", "Granite Trust", "Commonwealth Savings", "Pioneer National Bank", "Union Federal")
_GIVEN = ("Alex", "Jordan", "Sam", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn")
_FAMILY = ("Nguyen", "Garcia", "Smith", "Okafor", "Kowalski", "Patel", "Johnson", "Silva", "Cohen", "Murphy")
_TERMS = ("Net 30", "Net 45", "Net 60", "2/10 Net 30")
_COST_CENTERS = ("CC-4100", "CC-4200", "CC-4310", "CC-5100", "CC-5200", "CC-6100", "CC-7000", "CC-8150")
_SHIP_TO = ("HOSP-MAIN", "HOSP-NORTH", "HOSP-WEST", "CLINIC-01")
# (item code, description, unit of measure, UNSPSC commodity, price range in cents)
_GOODS = (
    ("GLV-NIT-M", "Nitrile exam gloves, medium, box of 100", "BX", "42132203", (750, 1450)),
    ("MSK-L3-50", "Surgical face masks, ASTM level 3, box of 50", "BX", "42131713", (900, 2100)),
    ("GAU-4X4-200", "Sterile gauze sponges 4x4, pack of 200", "PK", "42311505", (1200, 2600)),
    ("IVS-15", "IV administration set, 15 drops/mL", "EA", "42221506", (250, 900)),
    ("SYR-10LL", "Syringe 10 mL luer-lock, box of 100", "BX", "42142609", (1800, 3900)),
    ("NDL-22G", "Hypodermic needle 22G x 1in, box of 100", "BX", "42142523", (900, 2200)),
    ("GWN-ISO-L2", "Isolation gown, AAMI level 2, case of 100", "CS", "42131606", (6500, 14000)),
    ("PAD-ALC", "Alcohol prep pads, box of 200", "BX", "42311510", (300, 800)),
    ("CTH-FOL-16", "Foley catheter 16Fr, silicone", "EA", "42142704", (450, 1600)),
    ("SAL-1000", "Sodium chloride 0.9% 1000 mL, case of 12", "CS", "51102710", (2400, 5200)),
    ("SHP-2GAL", "Sharps container 2 gallon", "EA", "42142531", (350, 950)),
    ("SAN-500", "Hand sanitizer gel 500 mL, case of 12", "CS", "53131626", (3000, 6500)),
    ("PPR-LTR", "Copy paper, letter, case of 10 reams", "CS", "14111507", (3200, 5800)),
    ("TNR-BLK", "Printer toner cartridge, black", "EA", "44103103", (6000, 18000)),
    ("ECG-LEAD", "ECG monitoring electrodes, pack of 50", "PK", "42181713", (1100, 2400)),
)
_SERVICES = (
    ("SVC-BIOMED", "Biomedical equipment maintenance, monthly", "MO", "81141504", (150000, 600000)),
    ("SVC-LINEN", "Linen laundering service", "LB", "91111502", (90, 180)),
    ("SVC-WASTE", "Regulated medical waste pickup", "EA", "76121501", (8500, 25000)),
    ("SVC-INTERP", "Interpreter services, hourly", "HR", "82111902", (4500, 9500)),
    ("SVC-ITSUP", "IT support, hourly", "HR", "81111811", (9000, 16000)),
)


@dataclass(frozen=True)
class DatasetShape:
    """How much data a seed produces; records past these base counts exist only once added at run time."""

    seed: int = 1
    suppliers: int = 200
    orders: int = 1000
    lines_per_order: int = 5
    receipts_ratio: float = 0.6

    def __post_init__(self) -> None:
        if self.suppliers < 1 or self.orders < 0 or not 1 <= self.lines_per_order <= 99:
            raise ValueError("need at least one supplier, no negative order count, 1..99 lines per order")
        if not 0.0 <= self.receipts_ratio <= 1.0:
            raise ValueError("receipts ratio is the share of three-way PO lines received, between 0 and 1")

    @property
    def goods_orders(self) -> int:
        """Number of three-way (goods) POs among the base orders."""
        services = 0 if self.orders <= _SERVICES_AT else (self.orders - _SERVICES_AT - 1) // _SERVICES_EVERY + 1
        return self.orders - services

    @property
    def receipts_normal(self) -> int:
        return int(self.goods_orders * self.lines_per_order * self.receipts_ratio)

    @property
    def receipts(self) -> int:
        """Base receipts: one per received goods line, plus the returns."""
        return self.receipts_normal + self.receipts_normal // RETURN_EVERY

    def base_count(self, entity: str) -> int:
        return {SUPPLIERS: self.suppliers, PURCHASE_ORDERS: self.orders, RECEIPTS: self.receipts}[entity]


def base_updated_us(shape: DatasetShape, entity: str, index: int) -> int:
    """Updated-at of a base record: non-decreasing in the index, equal within a tie group.

    Receipts are spaced so that each comes a few days after the PO it receives against.
    """
    if entity == RECEIPTS:
        step = max(60_000_000, -(-_STEP_US[PURCHASE_ORDERS] * shape.orders // max(shape.receipts_normal, 1)))
        return BASE_UPDATED_US + 3 * _DAY_US + (index // TIE_GROUP) * step
    return BASE_UPDATED_US + (index // TIE_GROUP) * _STEP_US[entity]


def format_us(micros: int) -> str:
    """The one timestamp format the sandbox emits (UTC, microseconds), so clients can compare strings."""
    return (EPOCH + timedelta(microseconds=micros)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> int:
    """ISO 8601 (a naive time is UTC) to microseconds since the epoch; ValueError when unreadable."""
    moment = datetime.fromisoformat(text.strip().replace(" ", "+"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def record_rng(seed: int, entity: str, index: int, salt: int = 0) -> random.Random:
    return random.Random(((seed * 1_000_003 + _ENTITY_SALT[entity]) * 10_000_019 + index) * 101 + salt)  # noqa: S311


def unit_hash(seed: int, entity: str, index: int, purpose: str) -> float:
    """A uniform number in [0, 1) fixed per record and purpose (cheaper than a Random instance)."""
    digest = hashlib.blake2b(f"{seed}:{entity}:{index}:{purpose}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def quantity_text(hundredths: int) -> str:
    return money(hundredths)


def ein(rng: random.Random) -> str:
    return f"{rng.choice(_EIN_PREFIXES)}-{rng.randrange(10**7):07d}"


def aba_routing_number(rng: random.Random) -> str:
    """A routing number whose ABA check digit is right (3-7-1 weights), with a Federal Reserve prefix."""
    digits = [*divmod(rng.choice((1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 21, 22, 23, 24, 25, 26)), 10)]
    digits += [rng.randrange(10) for _ in range(6)]
    weighted = sum(weight * digit for weight, digit in zip((3, 7, 1, 3, 7, 1, 3, 7), digits, strict=True))
    digits.append((10 - weighted % 10) % 10)
    return "".join(map(str, digits))


def bank_account(rng: random.Random) -> dict[str, Any]:
    return {
        "bank-name": rng.choice(_BANKS),
        "routing-number": aba_routing_number(rng),
        "account-number": str(rng.randrange(10**7, 10**12)),
        "account-type": rng.choice(("checking", "checking", "savings")),
    }


def postal_address(rng: random.Random) -> dict[str, Any]:
    city, state, zip_prefix, _area = rng.choice(_CITIES)
    return {
        "street1": f"{rng.randrange(10, 9990)} {rng.choice(_STREETS)}",
        "street2": rng.choice(("", "", "", f"Suite {rng.randrange(100, 999)}")),
        "city": city,
        "state": state,
        "postal-code": f"{zip_prefix}{rng.randrange(100):02d}",
        "country": "US",
    }


def _date(micros: int) -> str:
    return _day_text(micros // _DAY_US)


@lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return (EPOCH + timedelta(days=day)).date().isoformat()


class _Draw:
    """Uniform draws from one Random, without randrange's overhead (the PO generator is the hot path)."""

    __slots__ = ("random",)

    def __init__(self, rng: random.Random) -> None:
        self.random = rng.random

    def below(self, bound: int) -> int:
        return int(self.random() * bound)

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low))

    def pick(self, options: tuple[Any, ...]) -> Any:
        return options[int(self.random() * len(options))]


def supplier_record(shape: DatasetShape, index: int) -> dict[str, Any]:
    """The supplier at `index` as the API serves it before any run-time change."""
    rng = record_rng(shape.seed, SUPPLIERS, index)
    supplier_id = index + 1
    stem, trade, form = rng.choice(NAME_STEMS), rng.choice(_NAME_TRADES), rng.choice(NAME_FORMS)
    name = f"{stem} {trade} {form}"
    slug = f"{stem}{trade.split()[0]}".lower()
    address = postal_address(rng)
    area = next(area for city, _s, _z, area in _CITIES if city == address["city"])
    remit_count = 2 if rng.random() < 0.15 else 1
    remit_to = [
        {
            "id": supplier_id * 10 + n,
            "remit-to-code": f"RT-{supplier_id:06d}-{n}",
            "name": name if n == 1 else f"{name} (lockbox)",
            "address": dict(address) if n == 1 else postal_address(rng),
            "bank-account": bank_account(rng),
            "active": True,
        }
        for n in range(1, remit_count + 1)
    ]
    updated = base_updated_us(shape, SUPPLIERS, index)
    roll = rng.random()
    return {
        "id": supplier_id,
        "number": f"SUP-{supplier_id:06d}",
        "name": name,
        "display-name": f"{stem} {trade}",
        "status": "active" if roll < 0.9 else ("inactive" if roll < 0.96 else "on_hold"),
        "tax-id": ein(rng),
        "external-id": f"V{shape.seed % 100:02d}{supplier_id:07d}",
        "primary-address": address,
        "remit-to-addresses": remit_to,
        "primary-contact": {
            "name-given": rng.choice(_GIVEN),
            "name-family": rng.choice(_FAMILY),
            "email": f"ar{supplier_id}@{slug}.example.com",
            "phone-work": f"+1-{area}-555-{rng.randrange(100, 200):04d}",
        },
        "payment-terms": rng.choice(_TERMS),
        "currency": "USD",
        "created-at": format_us(updated - _DAY_US * rng.randrange(1, 400)),
        "updated-at": format_us(updated),
    }


def is_services_order(index: int) -> bool:
    return index % _SERVICES_EVERY == _SERVICES_AT


def goods_order_index(position: int) -> int:
    """Index of the `position`-th three-way PO."""
    block, offset = divmod(position, len(_GOODS_OFFSETS))
    return block * _SERVICES_EVERY + _GOODS_OFFSETS[offset]


def line_id(shape: DatasetShape, order_index: int, line_number: int) -> int:
    return order_index * shape.lines_per_order + line_number


@lru_cache(maxsize=4096)
def purchase_order_record(shape: DatasetShape, index: int) -> dict[str, Any]:
    """The PO at `index` with its lines; callers must copy before changing it (the result is cached)."""
    draw = _Draw(record_rng(shape.seed, PURCHASE_ORDERS, index))
    order_id = index + 1
    services = is_services_order(index)
    catalogue = _SERVICES if services else _GOODS
    supplier_id = draw.below(shape.suppliers) + 1
    updated = base_updated_us(shape, PURCHASE_ORDERS, index)
    ordered = updated - _DAY_US * draw.below(5)
    cost_center = draw.pick(_COST_CENTERS)
    lines = []
    total = 0
    for number in range(1, shape.lines_per_order + 1):
        code, description, uom, unspsc, (low, high) = draw.pick(catalogue)
        price = draw.between(low, high)
        hundredths = draw.between(5, 400) * 10 if uom in ("LB", "HR") else draw.between(1, 60) * 100
        if uom == "MO":
            hundredths = 100
        extended = (price * hundredths + 50) // 100
        total += extended
        lines.append(
            {
                "id": line_id(shape, index, number),
                "line-num": number,
                "item-code": code,
                "description": description,
                "quantity": quantity_text(hundredths),
                "uom": uom,
                "price": money(price),
                "total": money(extended),
                "unspsc": unspsc,
                "cost-center": cost_center if draw.random() < 0.8 else draw.pick(_COST_CENTERS),
                "match-type": "two_way" if services else "three_way",
                "need-by-date": _date(ordered + _DAY_US * draw.between(7, 31)),
            }
        )
    return {
        "id": order_id,
        "po-number": f"PO-{order_id:07d}",
        "status": "issued" if draw.random() < 0.9 else "closed",
        "supplier": {"id": supplier_id, "number": f"SUP-{supplier_id:06d}"},
        "ship-to-code": draw.pick(_SHIP_TO),
        "currency": "USD",
        "payment-terms": draw.pick(_TERMS),
        "order-date": _date(ordered),
        "total": money(total),
        "order-lines": lines,
        "created-at": format_us(ordered),
        "updated-at": format_us(updated),
    }


def _received_line(shape: DatasetShape, index: int) -> tuple[int, int, int]:
    """(order index, line number, received hundredths) of the normal receipt at `index`."""
    goods_lines = shape.goods_orders * shape.lines_per_order
    if index < shape.receipts_normal:
        position = index * goods_lines // shape.receipts_normal
        order_index = goods_order_index(position // shape.lines_per_order)
        line_number = position % shape.lines_per_order + 1
    else:  # added at run time: any goods line of the base orders
        rng = record_rng(shape.seed, RECEIPTS, index, salt=1)
        order_index = goods_order_index(rng.randrange(max(shape.goods_orders, 1)))
        line_number = rng.randrange(shape.lines_per_order) + 1
    order = purchase_order_record(shape, order_index)
    ordered = int(order["order-lines"][line_number - 1]["quantity"].replace(".", ""))
    if unit_hash(shape.seed, RECEIPTS, index, "partial") < 0.2 and ordered > 100:
        received = max(100, (ordered * (3 + index % 6) // 10) // 100 * 100)
    else:
        received = ordered
    return order_index, line_number, received


def receipt_record(shape: DatasetShape, index: int) -> dict[str, Any]:
    """The receipt (or return) at `index`, always against a goods PO line of the base orders."""
    normal_count = shape.receipts_normal
    is_return = normal_count <= index < shape.receipts
    if is_return:
        received_index = (index - normal_count) * RETURN_EVERY
        order_index, line_number, received = _received_line(shape, received_index)
        hundredths = -max(100, received // 200 * 100)
    else:
        order_index, line_number, hundredths = _received_line(shape, index)
    if not 0 <= order_index < max(shape.orders, 1) or shape.orders == 0:
        raise ValueError("receipts need purchase orders")
    order = purchase_order_record(shape, order_index)
    line = order["order-lines"][line_number - 1]
    draw = _Draw(record_rng(shape.seed, RECEIPTS, index))
    updated = base_updated_us(shape, RECEIPTS, index)
    receipt_id = index + 1
    return {
        "id": receipt_id,
        "receipt-number": f"RCV-{receipt_id:08d}",
        "type": "return" if is_return else "receipt",
        "status": "created",
        "quantity": quantity_text(hundredths),
        "uom": line["uom"],
        "price": line["price"],
        "order-line": {
            "id": line["id"],
            "line-num": line_number,
            "order-header-id": order["id"],
            "po-number": order["po-number"],
        },
        "receiving-facility": order["ship-to-code"],
        "transaction-date": _date(updated - _DAY_US * draw.below(3)),
        "received-by": f"{draw.pick(_GIVEN)} {draw.pick(_FAMILY)}",
        "created-at": format_us(updated),
        "updated-at": format_us(updated),
    }


def base_record(shape: DatasetShape, entity: str, index: int) -> dict[str, Any]:
    """A fresh copy of the record at `index` (safe to change)."""
    if entity == SUPPLIERS:
        return supplier_record(shape, index)
    if entity == PURCHASE_ORDERS:
        order = purchase_order_record(shape, index)
        return {**order, "supplier": dict(order["supplier"]), "order-lines": [dict(x) for x in order["order-lines"]]}
    return receipt_record(shape, index)


# Broken fields a malformed record carries; id and updated-at stay readable so that paging still works.
MALFORMED_FIELDS: dict[str, tuple[tuple[str, Any], ...]] = {
    SUPPLIERS: (("tax-id", "12-34X"), ("name", None), ("primary-contact.email", "not-an-email")),
    PURCHASE_ORDERS: (("order-lines.0.quantity", "twelve"), ("order-lines.0.price", "1.2.3"), ("supplier", None)),
    RECEIPTS: (("quantity", "NaN units"), ("order-line", None), ("transaction-date", "31/02/2024")),
}


def set_path(record: dict[str, Any], path: str, value: Any) -> None:
    """Set `a.0.b` style paths (digits index lists); a missing step is skipped so a change never crashes a read."""
    *steps, last = path.split(".")
    node: Any = record
    for step in steps:
        node = node[int(step)] if isinstance(node, list) else node.get(step)
        if node is None:
            return
    if isinstance(node, list):
        if int(last) < len(node):
            node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value


def get_path(record: dict[str, Any], path: str) -> Any:
    node: Any = record
    for step in path.split("."):
        if isinstance(node, list):
            node = node[int(step)] if int(step) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(step)
        if node is None:
            return None
    return node
