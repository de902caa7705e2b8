"""Demo supplier master: a few hundred vendors from an ERP and a procurement suite (with the duplicates two source
systems really produce), a small exclusion list with one hit, one pending bank change and one pending change."""

from __future__ import annotations

import csv
import random
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from p2p_portal.demo import ACTOR, DemoLogin
from p2p_portal.models import Facility
from vendors.models import SourceReference, Vendor
from vendors.services.bank import bank_change_callback_record, bank_change_request_submit
from vendors.services.changes import VendorProposal, vendor_change_request_submit

ERP, SUITE = "ERP", "GHX"
PREFIXES = (
    "Lakeshore",
    "Great Plains",
    "Summit",
    "Pinnacle",
    "Heartland",
    "Riverbend",
    "Northstar",
    "Keystone",
    "Bluewater",
    "Prairie",
    "Cascade",
    "Granite",
    "Harborview",
    "Redwood",
    "Silverline",
    "Meridian",
    "Evergreen",
    "Lighthouse",
    "Frontier",
    "Mercy",
    "Crescent",
    "Beacon",
    "Union",
    "Allied",
    "Premier",
    "Sterling",
    "Liberty",
    "Pioneer",
)
CORES = (
    "Surgical Supply",
    "Medical Supply",
    "Linen Services",
    "Diagnostics",
    "Biomedical",
    "Orthopedics",
    "Laboratory Services",
    "Imaging",
    "Respiratory Care",
    "Pharmaceuticals",
    "Sterile Processing",
    "Dental Supply",
    "Infusion Systems",
    "Wound Care",
    "Patient Monitoring",
    "Medical Gases",
    "Food Services",
    "Waste Management",
)
SUFFIXES = ("Inc", "LLC", "Corp", "Co", "Incorporated", "Ltd")
PLACES = (
    ("Chicago", "IL", "606"),
    ("Springfield", "IL", "627"),
    ("Omaha", "NE", "681"),
    ("Des Moines", "IA", "503"),
    ("Milwaukee", "WI", "532"),
    ("Indianapolis", "IN", "462"),
    ("Columbus", "OH", "432"),
    ("St. Louis", "MO", "631"),
    ("Minneapolis", "MN", "554"),
    ("Detroit", "MI", "482"),
)
STREETS = ("Industrial Pkwy", "Commerce Dr", "N Clybourn Ave", "Main St", "Lake St", "Enterprise Way", "Grand Ave")
ROUTING = ("011000015", "021000021", "026009593", "121000358", "071000013", "081000032")
EIN_PREFIXES = (10, 12, 20, 26, 27, 36, 41, 46, 52, 61, 75, 83, 91)
COLUMNS = (
    "source_id", "legal_name", "dba_name", "tax_id", "address_line1", "address_line2", "city", "state", "postal_code",
    "country", "phone", "email", "bank_routing", "bank_account",
)  # fmt: skip
EXCLUDED = "Lighthouse Durable Medical Equipment LLC"
LEIE_HEADER = (
    "LASTNAME,FIRSTNAME,MIDNAME,BUSNAME,GENERAL,SPECIALTY,UPIN,NPI,DOB,ADDRESS,CITY,STATE,ZIP,EXCLTYPE,EXCLDATE,"
    "REINDATE,WAIVERDATE,WVRSTATE"
)
LEIE_ROWS = (
    ',,,"LIGHTHOUSE DURABLE MEDICAL EQUIPMENT, L.L.C.",OTHER BUSINESS,DME - MEDICAL SUPPLY,,0000000000,,'
    "14 HARBOR RD,CHICAGO,IL,60601,1128b7,20210311,00000000,00000000,",
    "SMITH,JOHN,Q,,IND- LIC HC SERV PRO,NURSE/NURSES AIDE,,1234567893,19650412,45 ELM ST,CHICAGO,IL,60614,1128a1,"
    "20180115,00000000,00000000,",
    ",,,RIVERSIDE HOME HEALTH,OTHER BUSINESS,HOME HEALTH AGENCY,,0000000000,,8 RIVER RD,PEORIA,IL,61602,1128b4,"
    "20150610,00000000,00000000,",
)


def _vendor_rows(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    names: set[str] = {EXCLUDED}
    rows.append(_row(rng, "ERP-1000", EXCLUDED, ("Chicago", "IL", "606")))
    while len(rows) < 240:
        name = f"{rng.choice(PREFIXES)} {rng.choice(CORES)} {rng.choice(SUFFIXES)}"
        if name.rsplit(" ", 1)[0] in {n.rsplit(" ", 1)[0] for n in names}:
            continue
        names.add(name)
        rows.append(_row(rng, f"ERP-{1000 + len(rows)}", name, rng.choice(PLACES)))
    return rows


def _row(rng: random.Random, source_id: str, name: str, place: tuple[str, str, str]) -> dict[str, str]:
    city, state, zip3 = place
    slug = "".join(ch for ch in name.lower().split(" ")[0] if ch.isalpha())
    return {
        "source_id": source_id,
        "legal_name": name,
        "dba_name": "",
        "tax_id": f"{rng.choice(EIN_PREFIXES):02d}-{rng.randrange(10**6, 10**7):07d}",
        "address_line1": f"{rng.randrange(10, 9999)} {rng.choice(STREETS)}",
        "address_line2": "",
        "city": city,
        "state": state,
        "postal_code": f"{zip3}{rng.randrange(10, 99)}",
        "country": "US",
        "phone": f"({rng.randrange(201, 989)}) 555-{rng.randrange(100, 9999):04d}",
        "email": f"ar@{slug}{rng.randrange(10, 99)}.example",
        "bank_routing": rng.choice(ROUTING),
        "bank_account": str(rng.randrange(10**7, 10**11)),
    }


VARIANTS = (
    lambda name: name.replace(" Inc", ", Incorporated").replace(" LLC", " L.L.C.").replace(" Corp", " Corporation"),
    lambda name: name.replace("Medical", "Med").replace("Services", "Svcs").replace("Laboratory", "Lab"),
    lambda name: name.upper().replace(" CO", " COMPANY"),
    lambda name: name[:6] + name[7:] if len(name) > 8 else name,  # a typo: one letter dropped
    lambda name: name.replace(" ", "  ").replace("Supply", "Supplies"),
)


def _suite_rows(rng: random.Random, erp_rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The procurement suite's copy: 30 duplicates of ERP vendors written its own way, 20 vendors of its own."""
    rows = []
    for number, original in enumerate(rng.sample(erp_rows[1:], 30)):
        copy = dict(original, source_id=f"GHX-{5000 + number}")
        variant = number % 6
        if variant < len(VARIANTS):
            copy["legal_name"] = VARIANTS[variant](original["legal_name"])
        else:  # same tax id and bank account, name registered differently (a DBA)
            copy["legal_name"] = f"{original['legal_name'].split(' ')[0]} Holdings LLC"
            copy["dba_name"] = original["legal_name"]
        if number % 3 == 0:  # the suite knows another address, but the same phone
            copy["address_line1"] = f"PO Box {rng.randrange(100, 9999)}"
        if number % 4 == 1:
            copy["tax_id"] = ""  # the suite never captured the tax id
        if number % 2:  # only half the suite's copies carry the bank account
            copy["bank_routing"] = copy["bank_account"] = ""
        rows.append(copy)
    for number in range(20):
        name = f"{rng.choice(PREFIXES)} Clinical {rng.choice(CORES)} {rng.choice(SUFFIXES)}"
        rows.append(_row(rng, f"GHX-{6000 + number}", name, rng.choice(PLACES)))
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def seed() -> list[DemoLogin]:
    """Load the demo master once (a re-run finds the ERP cross-references and changes nothing)."""
    if SourceReference.objects.filter(system=ERP).exists():
        return []
    from vendors.dedupe.store import vendor_duplicates_scan
    from vendors.screening.services import exclusion_list_import
    from vendors.services.imports import vendors_import_csv

    rng = random.Random(2026)  # noqa: S311 -- reproducible demo data, not a secret
    erp_rows = _vendor_rows(rng)
    with tempfile.TemporaryDirectory() as folder:
        leie = Path(folder) / "UPDATED.csv"
        leie.write_text("\n".join((LEIE_HEADER, *LEIE_ROWS)) + "\n", encoding="utf-8")
        exclusion_list_import(actor=ACTOR, source="leie", path=leie, version=timezone.localdate().strftime("%Y-%m"))
        vendors_import_csv(actor=ACTOR, path=_write(Path(folder) / "erp.csv", erp_rows), system=ERP)
        vendors_import_csv(actor=ACTOR, path=_write(Path(folder) / "ghx.csv", _suite_rows(rng, erp_rows)), system=SUITE)
    vendor_duplicates_scan(actor=ACTOR)
    _pending_changes()
    return []


def _pending_changes() -> None:
    """One bank change waiting for its two approvals (call-back made) and one name change waiting for approval."""
    users = get_user_model().objects
    steward, steward2 = users.get(username="steward"), users.get(username="steward2")
    facility = Facility.objects.get(code="NGH")
    vendor = Vendor.objects.get(source_references__system=ERP, source_references__external_id="ERP-1001")
    change = bank_change_request_submit(
        actor=steward,
        vendor=vendor,
        facility=facility,
        holder_name=vendor.legal_name,
        routing_number="026009593",
        account_number="7700441122",
        reason="Vendor letter of 2026-11-18: remit to their new operating account.",
    )
    contact = vendor.contacts.filter(active=True).first()
    bank_change_callback_record(
        actor=steward2,
        change=change,
        phone_number=contact.phone if contact else change.phones_on_file[0],
        contact_name="Dana Ortiz, controller",
        called_at=timezone.now(),
        outcome="confirmed",
        notes="Called the number in the master; the controller confirmed the new account and read back its last 4.",
    )
    other = Vendor.objects.get(source_references__system=ERP, source_references__external_id="ERP-1002")
    vendor_change_request_submit(
        actor=steward,
        vendor=other,
        facility=facility,
        proposal=VendorProposal(fields={"payment_terms": "NET45", "dba_name": other.legal_name.split(" ")[0]}),
        reason="New master agreement signed 2026-11-01: NET45, trades under its short name.",
    )
