"""Bulk onboarding from a source system's CSV export: suppliers already in use there become active golden records,
each tied to its source record by a cross-reference, so a re-run recognises them instead of creating them again."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from p2p_portal.audit.context import acting_as
from p2p_portal.errors import ApplicationError, InvalidInputError
from p2p_portal.request_context import current_request_id
from vendors.identifiers import BankDetails, bank_details_validate, tax_id_guess_kind, tax_id_normalise
from vendors.models import (
    BankAccount,
    BankAccountStatus,
    SiteKind,
    SourceReference,
    Vendor,
    VendorContact,
    VendorSite,
    VendorStatus,
)
from vendors.services._common import _save
from vendors.services.records import (
    NUMBER_PREFIX,
    ContactData,
    SiteData,
    bank_account_build,
    bank_fingerprint,
    vendor_number_next,
)

IMPORT_COLUMNS = (
    "source_id",
    "legal_name",
    "dba_name",
    "tax_id",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country",
    "phone",
    "email",
    "bank_routing",
    "bank_account",
)
ADDRESS_COLUMNS = ("address_line1", "address_line2", "city", "state", "postal_code", "country")
RECEIVABLES_CONTACT = "Accounts receivable"
# Rows per transaction: large enough that commits and cross-reference look-ups are rare, small enough that a
# crash part-way loses little work (a re-run skips what was committed).
CHUNK_ROWS = 500

# Columns whose length the model limits, checked before any write so the message names the column.
_COLUMN_FIELDS: dict[str, tuple[type[models.Model], str]] = {
    "source_id": (SourceReference, "external_id"),
    "legal_name": (Vendor, "legal_name"),
    "dba_name": (Vendor, "dba_name"),
    "address_line1": (VendorSite, "address_line1"),
    "address_line2": (VendorSite, "address_line2"),
    "city": (VendorSite, "city"),
    "state": (VendorSite, "state"),
    "postal_code": (VendorSite, "postal_code"),
    "phone": (VendorSite, "phone"),
    "email": (VendorContact, "email"),
}
# Where a model field's validation error belongs in the file, for errors only a save can find.
_FIELD_COLUMNS = {"external_id": "source_id", "holder_name": "legal_name", "tax_id_kind": "tax_id"}
_email_validator = EmailValidator()


@dataclass(frozen=True)
class LineProblem:
    """Why one line of the file was not loaded as it stands (line numbers count the header as line 1)."""

    line: int
    message: str

    def __str__(self) -> str:
        """As the command prints it: "line 7: tax_id: ..."."""
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    """What an import did: rows created, recognised unchanged, recognised with governed differences, rejected."""

    system: str
    created: int = 0
    unchanged: int = 0
    differs: int = 0
    rejected: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    created_vendor_ids: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Every data row read, whatever became of it."""
        return self.created + self.unchanged + self.differs + self.rejected

    def summary(self) -> str:
        """One line for the operator: the four counts."""
        return (
            f"{self.rows} row(s) from {self.system}: {self.created} created, {self.unchanged} unchanged, "
            f"{self.differs} differ from the golden record (not applied), {self.rejected} rejected."
        )


@dataclass(frozen=True)
class _SourceRow:
    """One line of the file, validated and normalised, ready to compare or write."""

    line: int
    source_id: str
    payload: dict[str, str]
    legal_name: str
    dba_name: str
    tax_id: str
    tax_id_kind: str
    site: SiteData | None
    contact: ContactData | None
    bank: BankDetails | None


class _RowRejectedError(Exception):
    """A row that loads nothing, with every reason found."""

    def __init__(self, messages: list[str]) -> None:
        """Keep each reason apart, so each is reported on its own line."""
        super().__init__("; ".join(messages))
        self.messages = messages


def source_reference_record(
    *, actor: Any, vendor: Vendor, system: str, external_id: str, payload: dict[str, Any]
) -> SourceReference:
    """Record that `external_id` in `system` is `vendor`, with the payload just seen (creates or refreshes)."""
    with transaction.atomic():
        reference = SourceReference.objects.select_for_update().filter(system=system, external_id=external_id).first()
        if reference is None:
            reference = SourceReference(
                system=system, external_id=external_id, vendor=vendor, last_payload=payload, last_seen_at=timezone.now()
            )
            _save(reference, actor, f"cross-reference to {system}:{external_id}")
            return reference
        return _source_reference_refresh(actor=actor, reference=reference, vendor=vendor, payload=payload)


def _source_reference_refresh(
    *, actor: Any, reference: SourceReference, vendor: Vendor, payload: dict[str, Any]
) -> SourceReference:
    """Store the payload just seen on an existing cross-reference; it never moves to another vendor here."""
    if reference.vendor_id != vendor.pk:
        raise ApplicationError(
            f"{reference.system}:{reference.external_id} is already the cross-reference of vendor "
            f"{reference.vendor_id}; moving it is a merge, not an import.",
            code="source_reference_taken",
        )
    reference.last_payload = payload
    reference.last_seen_at = timezone.now()
    reference.full_clean()
    # Only fields the history leaves out change, so this write adds no history row (see audited_history).
    reference.save(update_fields=["last_payload", "last_seen_at"])
    return reference


def vendors_import_csv(*, actor: Any, path: Path, system: str) -> ImportReport:
    """Load a source system's CSV export: new source ids become active vendors, known ones are compared only.

    Not one transaction: each chunk of rows commits on its own, so a 100,000-row file does not hold one
    transaction open for minutes and a crash loses only the chunk in progress (a re-run skips what was committed).
    Every row is validated before any write, so a bad row costs only itself."""
    system = system.strip()
    _system_check(system)
    header = _header_read(path)
    report = ImportReport(system=system)
    first_lines: dict[str, int] = {}
    for chunk in _chunks(_lines(path, header), CHUNK_ROWS):
        rows: list[_SourceRow] = []
        for line, cells in chunk:
            try:
                row = _row_parse(line, cells, header)
            except _RowRejectedError as rejected:
                report.rejected += 1
                report.problems.extend(LineProblem(line, message) for message in rejected.messages)
                continue
            if row.source_id in first_lines:
                report.rejected += 1
                report.problems.append(
                    LineProblem(
                        line, f"source_id: {row.source_id} already appears on line {first_lines[row.source_id]}."
                    )
                )
                continue
            first_lines[row.source_id] = line
            rows.append(row)
        _chunk_load(actor=actor, system=system, rows=rows, report=report)
    # Rows are reported in file order, whichever step found the problem.
    report.problems.sort(key=lambda problem: problem.line)
    if report.created_vendor_ids:
        _created_vendors_follow_up(actor=actor, vendor_ids=report.created_vendor_ids)
    return report


def _system_check(system: str) -> None:
    """Refuse a source system code the cross-reference cannot hold."""
    limit = _max_length(SourceReference, "system")
    if not system or len(system) > limit:
        raise InvalidInputError(
            f"The source system code must be 1 to {limit} characters.", code="import_system_invalid", field="system"
        )


def _max_length(model: type[models.Model], field_name: str) -> int:
    """The model's length limit of a text field (0 when it has none)."""
    model_field = model._meta.get_field(field_name)
    return (model_field.max_length or 0) if isinstance(model_field, models.Field) else 0


@cache
def _column_limits() -> dict[str, int]:
    """Length limit per column, from the models the column is written to."""
    return {column: _max_length(model, field_name) for column, (model, field_name) in _COLUMN_FIELDS.items()}


def _header_read(path: Path) -> list[str]:
    """The file's column names, after checking that every required column is there and the text is UTF-8."""
    try:
        # Decoding the whole file up front, line by line: a non-UTF-8 byte found half-way through the load would
        # leave half an import, and a line-by-line check can say which line to fix.
        with path.open("rb") as raw:
            for number, raw_line in enumerate(raw, start=1):
                try:
                    raw_line.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise InvalidInputError(
                        f"{path} is not UTF-8 text (line {number}: {error.reason}); export it as UTF-8 CSV.",
                        code="import_not_utf8",
                    ) from None
        with path.open(encoding="utf-8-sig", newline="") as source:
            header = [name.strip() for name in next(csv.reader(source), [])]
    except FileNotFoundError:
        raise InvalidInputError(f"No file {path}.", code="import_file_missing") from None
    missing = [column for column in IMPORT_COLUMNS if column not in header]
    if missing:
        raise InvalidInputError(
            f"The header of {path} lacks column(s): {', '.join(missing)}.",
            code="import_header_invalid",
            extra={"missing": missing},
        )
    return header


def _lines(path: Path, header: list[str]) -> Iterator[tuple[int, list[str]]]:
    """(first physical line number, cells) of every non-empty record after the header."""
    with path.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.reader(source)
        next(reader)
        previous_end = reader.line_num
        for cells in reader:
            # A quoted field may span lines; the record starts on the line after the previous one ended.
            start, previous_end = previous_end + 1, reader.line_num
            if cells and any(cell.strip() for cell in cells):
                yield start, cells


def _chunks(lines: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    """The records in lists of `size` (the last one shorter)."""
    chunk: list[tuple[int, list[str]]] = []
    for item in lines:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _row_parse(line: int, cells: list[str], header: list[str]) -> _SourceRow:
    """Validate and normalise one record, or raise _RowRejectedError with a message per bad column."""
    if len(cells) < len(header):
        raise _RowRejectedError([f"has {len(cells)} field(s), the header has {len(header)}."])
    if any(cell.strip() for cell in cells[len(header) :]):
        raise _RowRejectedError([f"has {len(cells)} field(s), the header has {len(header)}."])
    payload = dict(zip(header, cells, strict=False))
    value = {column: payload[column].strip() for column in IMPORT_COLUMNS}
    errors: list[str] = []
    for column in ("source_id", "legal_name"):
        if not value[column]:
            errors.append(f"{column}: required.")
    for column, limit in _column_limits().items():
        if limit and len(value[column]) > limit:
            errors.append(f"{column}: at most {limit} characters (has {len(value[column])}).")

    tax_id, tax_id_kind = "", ""
    if value["tax_id"]:
        tax_id_kind = tax_id_guess_kind(value["tax_id"])
        try:
            tax_id = tax_id_normalise(value["tax_id"], tax_id_kind)
        except ValidationError as error:
            errors.extend(f"tax_id: {message}" for message in error.messages)

    country = (value["country"] or "US").upper()
    if not (len(country) == 2 and country.isascii() and country.isalpha()):
        errors.append(f"country: a two-letter country code, not {value['country']!r}.")
    site = None
    if any(value[column] for column in ADDRESS_COLUMNS if column != "country"):
        errors.extend(
            f"{column}: required with an address." for column in ("address_line1", "city") if not value[column]
        )
        site = SiteData(
            kind=SiteKind.REMIT_TO,
            address_line1=value["address_line1"],
            address_line2=value["address_line2"],
            city=value["city"],
            state=value["state"],
            postal_code=value["postal_code"],
            country=country,
            phone=value["phone"],
        )

    contact = None
    if value["email"]:
        try:
            _email_validator(value["email"])
        except ValidationError as error:
            errors.extend(f"email: {message}" for message in error.messages)
    if value["email"] or value["phone"]:
        contact = ContactData(
            name=RECEIVABLES_CONTACT, email=value["email"], phone=value["phone"], role=RECEIVABLES_CONTACT
        )

    bank = None
    if value["bank_routing"] or value["bank_account"]:
        try:
            bank = bank_details_validate(routing_number=value["bank_routing"], account_number=value["bank_account"])
        except ValidationError as error:
            columns = {"routing_number": "bank_routing", "account_number": "bank_account"}
            errors.extend(
                f"{columns.get(name, name)}: {message}"
                for name, messages in error.message_dict.items()
                for message in messages
            )

    if errors:
        raise _RowRejectedError(errors)
    return _SourceRow(
        line=line,
        source_id=value["source_id"],
        payload=_payload_redacted(payload),
        legal_name=value["legal_name"],
        dba_name=value["dba_name"],
        tax_id=tax_id,
        tax_id_kind=tax_id_kind,
        site=site,
        contact=contact,
        bank=bank,
    )


def _payload_redacted(payload: dict[str, str]) -> dict[str, str]:
    """The row as read, except the bank account number: it is encrypted at rest, so no copy of it stays in clear."""
    account = payload.get("bank_account", "").strip()
    if not account:
        return payload
    return {**payload, "bank_account": f"{'*' * max(len(account) - 4, 0)}{account[-4:]}"}


@dataclass
class _NewVendor:
    """The unsaved records one row becomes: vendor, then site, contact, bank account and cross-reference."""

    row: _SourceRow
    vendor: Vendor
    others: list[models.Model]


def _chunk_load(*, actor: Any, system: str, rows: list[_SourceRow], report: ImportReport) -> None:
    """Write one chunk in one transaction, reading the chunk's known cross-references (and their vendors) at once."""
    if not rows:
        return
    references = {
        reference.external_id: reference
        for reference in SourceReference.objects.filter(
            system=system, external_id__in=[row.source_id for row in rows]
        ).select_related("vendor")
    }
    known = [(row, references[row.source_id]) for row in rows if row.source_id in references]
    fresh = [row for row in rows if row.source_id not in references]
    seen_at = timezone.now()
    created = _new_vendors_load(actor=actor, system=system, rows=fresh, known=known, seen_at=seen_at, report=report)
    report.created += len(created)
    report.created_vendor_ids.extend(created)
    _known_rows_compare(known, report)


def _new_vendors_load(
    *,
    actor: Any,
    system: str,
    rows: list[_SourceRow],
    known: list[tuple[_SourceRow, SourceReference]],
    seen_at: datetime,
    report: ImportReport,
) -> list[int]:
    """Insert the chunk's new vendors in bulk and refresh its known cross-references; returns the new vendors' ids.

    Every row was validated before, so the bulk insert fails only when another process wrote one of these source
    ids since the look-up; then the chunk is loaded again row by row, each in a savepoint, and only the rows that
    clash are rejected."""
    built = _new_vendors_build(system=system, rows=rows, seen_at=seen_at, report=report)
    try:
        with transaction.atomic():
            _new_vendors_insert(actor=actor, new_vendors=built)
            _references_refresh(known=known, seen_at=seen_at)
        return [new.vendor.pk for new in built]
    except IntegrityError:
        pass
    created: list[int] = []
    with transaction.atomic():
        # Built again: the failed insert left primary keys on the first build's records.
        for new in _new_vendors_build(system=system, rows=[new.row for new in built], seen_at=seen_at, report=report):
            try:
                with transaction.atomic():
                    _new_vendors_insert(actor=actor, new_vendors=[new])
            except IntegrityError as error:
                report.rejected += 1
                report.problems.append(
                    LineProblem(new.row.line, f"source_id: {new.row.source_id} could not be loaded: {error}".strip())
                )
                continue
            created.append(new.vendor.pk)
        _references_refresh(known=known, seen_at=seen_at)
    return created


def _new_vendors_build(
    *, system: str, rows: list[_SourceRow], seen_at: datetime, report: ImportReport
) -> list[_NewVendor]:
    """The unsaved, validated records of each new row; a row a model refuses is rejected here, before any write."""
    built = []
    for row in rows:
        try:
            built.append(_new_vendor_build(system=system, row=row, seen_at=seen_at))
        except ValidationError as error:
            report.rejected += 1
            report.problems.extend(LineProblem(row.line, message) for message in _messages_by_column(error))
    return built


def _new_vendor_build(*, system: str, row: _SourceRow, seen_at: datetime) -> _NewVendor:
    """An active vendor from a row with its remit-to site, receivables contact, bank account and cross-reference."""
    reason = f"imported from {system} line {row.line}"
    vendor = Vendor(
        legal_name=row.legal_name,
        dba_name=row.dba_name,
        tax_id=row.tax_id,
        tax_id_kind=row.tax_id_kind,
        status=VendorStatus.ACTIVE,
    )
    # The number is given at insert time, under the numbering lock.
    vendor.full_clean(exclude=["number"], validate_unique=False)
    others: list[models.Model] = []
    if row.site is not None:
        others.append(VendorSite(vendor=vendor, **row.site.as_dict()))
    if row.contact is not None:
        others.append(VendorContact(vendor=vendor, **row.contact.as_dict()))
    if row.bank is not None:
        others.append(
            bank_account_build(
                status=BankAccountStatus.ACTIVE,
                vendor=vendor,
                holder_name=row.legal_name,
                details=row.bank,
                activated_at=seen_at,
            )
        )
    others.append(
        SourceReference(
            system=system, external_id=row.source_id, vendor=vendor, last_payload=row.payload, last_seen_at=seen_at
        )
    )
    for record in others:
        # The vendor is not saved yet, so its foreign key is not checked (it is set on insert); uniqueness is the
        # database's to enforce, not a query per record.
        record.full_clean(exclude=["vendor"], validate_unique=False, validate_constraints=False)
    for record in [vendor, *others]:
        _change_reason_set(record, reason)
    return _NewVendor(row=row, vendor=vendor, others=others)


def _change_reason_set(record: models.Model, reason: str) -> None:
    """The change reason this record's bulk-created history row carries (simple-history reads `_change_reason`)."""
    record._change_reason = reason  # type: ignore[attr-defined]


def _new_vendors_insert(*, actor: Any, new_vendors: list[_NewVendor]) -> None:
    """Number the vendors and insert every record with its history row, one statement per table."""
    if not new_vendors:
        return
    for new, number in zip(new_vendors, _vendor_numbers(len(new_vendors)), strict=True):
        new.vendor.number = number
    by_model: dict[type[models.Model], list[models.Model]] = {}
    for new in new_vendors:
        for record in new.others:
            by_model.setdefault(type(record), []).append(record)
    with acting_as(actor) as acting:
        # Bulk history skips the signal that stamps the audit columns, so they are given here.
        audit_columns = {
            "history_actor_label": acting.display[:150],
            "history_api_client_id": acting.api_client_id,
            "history_request_id": (current_request_id() or "")[:128],
        }
        bulk_create_with_history([new.vendor for new in new_vendors], Vendor, custom_historical_attrs=audit_columns)
        for model, records in by_model.items():
            bulk_create_with_history(records, model, custom_historical_attrs=audit_columns)


def _vendor_numbers(count: int) -> list[str]:
    """`count` consecutive portal numbers; the numbering lock `vendor_number_next` takes is held until commit."""
    first = int(vendor_number_next()[len(NUMBER_PREFIX) :])
    return [f"{NUMBER_PREFIX}{first + offset:06d}" for offset in range(count)]


def _references_refresh(*, known: list[tuple[_SourceRow, SourceReference]], seen_at: datetime) -> None:
    """Store each known row's payload and the time it was seen on its cross-reference, in one statement.

    Both fields are left out of the history, so this bulk update loses nothing the audit trail would keep."""
    for row, reference in known:
        reference.last_payload = row.payload
        reference.last_seen_at = seen_at
        reference.full_clean(exclude=["vendor"], validate_unique=False, validate_constraints=False)
    SourceReference.objects.bulk_update([reference for _, reference in known], ["last_payload", "last_seen_at"])


def _known_rows_compare(known: list[tuple[_SourceRow, SourceReference]], report: ImportReport) -> None:
    """Count each known row as unchanged or as differing, naming the governed values that differ."""
    vendor_ids = {reference.vendor_id for _, reference in known}
    addresses: dict[int, set[tuple[str, ...]]] = {}
    for site in VendorSite.objects.filter(vendor_id__in=vendor_ids, kind=SiteKind.REMIT_TO, active=True):
        addresses.setdefault(site.vendor_id, set()).add(_address_of(site))
    banks = {
        account.vendor_id: account
        for account in BankAccount.objects.filter(vendor_id__in=vendor_ids, status=BankAccountStatus.ACTIVE)
    }
    for row, reference in known:
        vendor = reference.vendor
        differences = _governed_differences(row, vendor, addresses.get(vendor.pk, set()), banks.get(vendor.pk))
        if not differences:
            report.unchanged += 1
            continue
        report.differs += 1
        report.problems.append(
            LineProblem(
                row.line,
                f"differs from {vendor.number} in {', '.join(differences)}; not applied (propose a change request).",
            )
        )


def _address_of(site: VendorSite | SiteData) -> tuple[str, ...]:
    """The address of a site as compared between a row and the golden record (the phone is not governed)."""
    return tuple(getattr(site, column) for column in ADDRESS_COLUMNS)


def _governed_differences(
    row: _SourceRow, vendor: Vendor, addresses: set[tuple[str, ...]], bank: BankAccount | None
) -> list[str]:
    """Governed values (names, tax id, remit-to address, bank account) where the row and the golden record differ."""
    differences = [
        column
        for column, ours, theirs in (
            ("legal_name", vendor.legal_name, row.legal_name),
            ("dba_name", vendor.dba_name, row.dba_name),
            ("tax_id", (vendor.tax_id, vendor.tax_id_kind), (row.tax_id, row.tax_id_kind)),
        )
        if ours != theirs
    ]
    if (row.site is None and addresses) or (row.site is not None and _address_of(row.site) not in addresses):
        differences.append("address")
    if row.bank is None:
        bank_differs = bank is not None
    else:
        # The fingerprint compares account numbers without decrypting the stored one.
        row_fingerprint = bank_fingerprint(row.bank)
        bank_differs = bank is None or bank.fingerprint != row_fingerprint
    if bank_differs:
        differences.append("bank account")
    return differences


def _messages_by_column(error: ValidationError) -> list[str]:
    """A save's validation error as "column: message" lines."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    return [
        f"{_FIELD_COLUMNS.get(name, name)}: {message}" if name != "__all__" else message
        for name, messages in error.message_dict.items()
        for message in messages
    ]


def _created_vendors_follow_up(*, actor: Any, vendor_ids: list[int]) -> None:
    """Give the new vendors their duplicate-blocking keys and their first exclusion screen."""
    from vendors.dedupe.store import match_keys_rebuild
    from vendors.screening.services import vendors_rescreen

    match_keys_rebuild(vendor_ids)
    # One pass with the lists loaded once, not one list query per new vendor.
    vendors_rescreen(actor=actor, trigger="create", vendor_ids=vendor_ids)
