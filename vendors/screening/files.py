"""Exclusion files in their real layouts: OIG LEIE (UPDATED.csv) and the SAM exclusions public extract.

A file is streamed row by row (the real LEIE has ~80k rows, SAM ~150k). The header is checked first and a wrong
file is refused naming the missing columns; a bad row is reported by its line number and skipped, the rest load.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import models

from p2p_portal.errors import InvalidInputError
from vendors.models import ExclusionEntry, ExclusionSource

# Rejected lines beyond this many are counted but not listed: a wrong file must not produce a 150k-line report.
REJECTED_LINES_KEPT = 1000
_READ_CHUNK = 1 << 20

US_STATES: dict[str, str] = {
    "alabama": "AL",
    "alaska": "AK",
    "arizona": "AZ",
    "arkansas": "AR",
    "california": "CA",
    "colorado": "CO",
    "connecticut": "CT",
    "delaware": "DE",
    "district of columbia": "DC",
    "florida": "FL",
    "georgia": "GA",
    "hawaii": "HI",
    "idaho": "ID",
    "illinois": "IL",
    "indiana": "IN",
    "iowa": "IA",
    "kansas": "KS",
    "kentucky": "KY",
    "louisiana": "LA",
    "maine": "ME",
    "maryland": "MD",
    "massachusetts": "MA",
    "michigan": "MI",
    "minnesota": "MN",
    "mississippi": "MS",
    "missouri": "MO",
    "montana": "MT",
    "nebraska": "NE",
    "nevada": "NV",
    "new hampshire": "NH",
    "new jersey": "NJ",
    "new mexico": "NM",
    "new york": "NY",
    "north carolina": "NC",
    "north dakota": "ND",
    "ohio": "OH",
    "oklahoma": "OK",
    "oregon": "OR",
    "pennsylvania": "PA",
    "rhode island": "RI",
    "south carolina": "SC",
    "south dakota": "SD",
    "tennessee": "TN",
    "texas": "TX",
    "utah": "UT",
    "vermont": "VT",
    "virginia": "VA",
    "washington": "WA",
    "west virginia": "WV",
    "wisconsin": "WI",
    "wyoming": "WY",
    "puerto rico": "PR",
    "guam": "GU",
    "virgin islands": "VI",
    "american samoa": "AS",
    "northern mariana islands": "MP",
}


def state_key(state: str) -> str:
    """The comparable form of a state: the USPS code for a US state written out, else the value upper-cased."""
    cleaned = " ".join(state.replace(".", " ").split())
    return US_STATES.get(cleaned.casefold(), cleaned.upper())


class ExclusionFileError(InvalidInputError):
    """The file cannot be read as an exclusion list of the named source (wrong file, wrong layout)."""


@dataclass(frozen=True)
class RejectedLine:
    """A row of the file that was not loaded, and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class ParsedEntry:
    """One excluded party as read from a file, ready to become an `ExclusionEntry` (name_key is added on load)."""

    row_number: int
    name: str
    is_individual: bool
    npi: str
    identifier: str
    address: str
    city: str
    state: str
    postal_code: str
    exclusion_type: str
    excluded_on: date | None
    reinstated_on: date | None
    raw: dict[str, str]


class _RowError(ValueError):
    """A row that cannot be loaded; the message is the reason shown to the importer."""


@dataclass(frozen=True)
class _Layout:
    """The columns one source's file must have and how its row becomes an entry."""

    title: str
    required: tuple[str, ...]
    parse: Callable[[dict[str, str], int], ParsedEntry]


def _limit(column: str) -> int:
    """The longest value the entry's column holds."""
    model_field = ExclusionEntry._meta.get_field(column)
    if not isinstance(model_field, models.CharField) or model_field.max_length is None:
        raise TypeError(f"ExclusionEntry.{column} is not a bounded text column")
    return model_field.max_length


def _fit(value: str, column: str) -> str:
    """Shorten a descriptive value to its column (the raw row keeps the whole text)."""
    return value[: _limit(column)]


def _required_fit(value: str, column: str, label: str) -> str:
    """A value that matching depends on: too long for its column is a bad row, never silently cut."""
    if len(value) > _limit(column):
        raise _RowError(f"{label} is longer than {_limit(column)} characters")
    return value


def _npi(value: str, label: str) -> str:
    """A 10-digit NPI, or "" where the file gives none (blank or all zeros)."""
    digits = value.strip()
    if not digits or set(digits) == {"0"}:
        return ""
    if len(digits) != 10 or not digits.isdigit():
        raise _RowError(f"{label} {digits!r} is not a 10-digit NPI")
    return digits


def _date(value: str, label: str, formats: tuple[str, ...], none_values: tuple[str, ...] = ()) -> date | None:
    """Parse a date in one of `formats`; blank or one of `none_values` means no date."""
    text = value.strip()
    if not text or text.casefold() in none_values:
        return None
    for pattern in formats:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    shown = " or ".join(pattern.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD") for pattern in formats)
    raise _RowError(f"{label} {text!r} is not a date ({shown})")


def _joined(*parts: str, separator: str = " ") -> str:
    """The non-blank parts, trimmed and joined."""
    return separator.join(part.strip() for part in parts if part.strip())


def _parse_leie(row: dict[str, str], line: int) -> ParsedEntry:
    """An LEIE row: a business where BUSNAME is set, else an individual "FIRST MIDDLE LAST"."""
    business = row["BUSNAME"].strip()
    name = business or _joined(row["FIRSTNAME"], row["MIDNAME"], row["LASTNAME"])
    if not name:
        raise _RowError("no name: BUSNAME, FIRSTNAME and LASTNAME are all blank")
    leie_dates = ("%Y%m%d",)
    return ParsedEntry(
        row_number=line,
        name=_required_fit(name, "name", "the name"),
        is_individual=not business,
        npi=_npi(row["NPI"], "NPI"),
        identifier="",
        address=_fit(row["ADDRESS"].strip(), "address"),
        city=_fit(row["CITY"].strip(), "city"),
        state=_required_fit(state_key(row["STATE"]), "state", "STATE"),
        postal_code=_fit(row["ZIP"].strip(), "postal_code"),
        exclusion_type=_fit(row["EXCLTYPE"].strip(), "exclusion_type"),
        excluded_on=_date(row["EXCLDATE"], "EXCLDATE", leie_dates, none_values=("00000000",)),
        reinstated_on=_date(row["REINDATE"], "REINDATE", leie_dates, none_values=("00000000",)),
        raw=row,
    )


def _parse_sam(row: dict[str, str], line: int) -> ParsedEntry:
    """A SAM row: Name for firms, vessels and special designations; First Middle Last for individuals."""
    classification = row["Classification"].strip()
    name = row["Name"].strip() or _joined(row["First"], row["Middle"], row["Last"])
    if not name:
        raise _RowError("no name: Name, First and Last are all blank")
    # The UEI names the entity; a CAGE code stands in where the record has no UEI.
    identifier = row["Unique Entity ID"].strip() or row["CAGE"].strip()
    sam_dates = ("%m/%d/%Y", "%Y-%m-%d")
    return ParsedEntry(
        row_number=line,
        name=_required_fit(name, "name", "the name"),
        is_individual=classification.casefold() == "individual",
        npi=_npi(row["NPI"], "NPI"),
        identifier=_required_fit(identifier, "identifier", "Unique Entity ID / CAGE"),
        address=_fit(
            _joined(row["Address 1"], row["Address 2"], row["Address 3"], row["Address 4"], separator=", "), "address"
        ),
        city=_fit(row["City"].strip(), "city"),
        state=_required_fit(state_key(row["State / Province"]), "state", "State / Province"),
        postal_code=_fit(row["Zip Code"].strip(), "postal_code"),
        exclusion_type=_fit(row["Exclusion Type"].strip(), "exclusion_type"),
        excluded_on=_date(row["Active Date"], "Active Date", sam_dates),
        # SAM's Termination Date is when the exclusion ends: the same effect as an LEIE reinstatement.
        reinstated_on=_date(row["Termination Date"], "Termination Date", sam_dates, none_values=("indefinite",)),
        raw=row,
    )


LAYOUTS: dict[str, _Layout] = {
    ExclusionSource.LEIE: _Layout(
        title="OIG LEIE (UPDATED.csv)",
        required=(
            "LASTNAME",
            "FIRSTNAME",
            "MIDNAME",
            "BUSNAME",
            "GENERAL",
            "SPECIALTY",
            "UPIN",
            "NPI",
            "DOB",
            "ADDRESS",
            "CITY",
            "STATE",
            "ZIP",
            "EXCLTYPE",
            "EXCLDATE",
            "REINDATE",
            "WAIVERDATE",
            "WVRSTATE",
        ),
        parse=_parse_leie,
    ),
    # Only the columns read are required: SAM has renamed and retired columns of its extract before.
    ExclusionSource.SAM: _Layout(
        title="SAM exclusions public extract",
        required=(
            "Classification",
            "Name",
            "First",
            "Middle",
            "Last",
            "Address 1",
            "Address 2",
            "Address 3",
            "Address 4",
            "City",
            "State / Province",
            "Zip Code",
            "Unique Entity ID",
            "Exclusion Type",
            "Active Date",
            "Termination Date",
            "CAGE",
            "NPI",
        ),
        parse=_parse_sam,
    ),
}


@dataclass(frozen=True)
class FileFacts:
    """What one pass over the bytes tells: the content hash and the text encoding to read it with."""

    sha256: str
    encoding: str


def file_facts(path: Path) -> FileFacts:
    """Hash the file and pick its encoding: UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    utf8_ok = cp1252_ok = True
    with path.open("rb") as handle:
        while chunk := handle.read(_READ_CHUNK):
            digest.update(chunk)
            utf8_ok = utf8_ok and _decodes(utf8, chunk)
            cp1252_ok = cp1252_ok and _decodes(cp1252, chunk)
    utf8_ok = utf8_ok and _decodes(utf8, b"", final=True)
    # Latin-1 decodes any byte, so it is the last resort for the few bytes Windows-1252 leaves undefined.
    encoding = "utf-8-sig" if utf8_ok else "cp1252" if cp1252_ok else "latin-1"
    return FileFacts(sha256=digest.hexdigest(), encoding=encoding)


def _decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, *, final: bool = False) -> bool:
    """Whether the chunk decodes, continuing the decoder's state."""
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False
    return True


def _header_key(column: str) -> str:
    """A header cell as compared: a byte-order mark mis-decoded by a fallback encoding, spaces and case ignored."""
    return column.lstrip("\ufeff").removeprefix("ï»¿").strip().casefold()


@dataclass
class ExclusionFile:
    """An exclusion file whose header has been checked: stream `entries()`, then read `rejected`."""

    path: Path
    source: str
    facts: FileFacts
    header: list[str]
    rows: Any  # the csv reader: typeshed names its class only privately
    rejected: list[RejectedLine] = field(default_factory=list)
    rejected_count: int = 0

    def entries(self) -> Iterator[ParsedEntry]:
        """The file's good rows in order; bad rows are recorded in `rejected` and skipped."""
        layout = LAYOUTS[self.source]
        positions = _positions(self.header, layout)
        width = len(self.header)
        last_line = self.rows.line_num
        while True:
            # A quoted field may span lines: a record starts on the line after the previous one ended.
            start = last_line + 1
            try:
                cells = next(self.rows)
            except StopIteration:
                return
            except csv.Error as error:
                self._reject(start, f"unreadable CSV: {error}")
                last_line = self.rows.line_num
                continue
            last_line = self.rows.line_num
            if not cells or all(not cell.strip() for cell in cells):
                continue
            if len(cells) < width or any(cell.strip() for cell in cells[width:]):
                self._reject(start, f"has {len(cells)} fields, the header has {width}")
                continue
            row = {name: cells[index] for name, index in positions.items()}
            try:
                yield layout.parse(row, start)
            except _RowError as error:
                self._reject(start, str(error))

    def _reject(self, line: int, reason: str) -> None:
        """Note a skipped line (listing only the first REJECTED_LINES_KEPT)."""
        self.rejected_count += 1
        if len(self.rejected) < REJECTED_LINES_KEPT:
            self.rejected.append(RejectedLine(line=line, reason=reason))


def _positions(header: list[str], layout: _Layout) -> dict[str, int]:
    """Each column of the file by its canonical name (the layout's spelling where it names it) to its index."""
    canonical = {_header_key(name): name for name in layout.required}
    positions: dict[str, int] = {}
    for index, column in enumerate(header):
        name = canonical.get(_header_key(column), column.strip())
        positions.setdefault(name, index)
    return positions


@contextmanager
def exclusion_file_open(path: Path, source: str) -> Iterator[ExclusionFile]:
    """Open an exclusion file of `source` and check its header; a wrong file raises `ExclusionFileError`."""
    layout = LAYOUTS.get(source)
    if layout is None:
        raise ExclusionFileError(
            f"Unknown exclusion list source {source!r}: use one of {', '.join(LAYOUTS)}.",
            code="exclusion_source_unknown",
            field="source",
        )
    if not path.is_file():
        raise ExclusionFileError(f"No such file: {path}.", code="exclusion_file_missing", field="path")
    facts = file_facts(path)
    with path.open(encoding=facts.encoding, newline="") as handle:
        rows = csv.reader(handle)
        try:
            header = next(rows, [])
        except csv.Error as error:
            raise ExclusionFileError(
                f"{path.name} is not a readable CSV file: {error}.", code="exclusion_file_unreadable"
            ) from error
        present = {_header_key(column) for column in header}
        missing = [name for name in layout.required if _header_key(name) not in present]
        if missing:
            raise ExclusionFileError(
                f"{path.name} is not an {layout.title} file: its header lacks the column(s) {', '.join(missing)}.",
                code="exclusion_file_header",
                extra={"missing_columns": missing},
            )
        yield ExclusionFile(path=path, source=source, facts=facts, header=header, rows=rows)


_ISO_DAY = re.compile(r"(?<!\d)(20\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")
_ISO_MONTH = re.compile(r"(?<!\d)(20\d\d)[-_.](0[1-9]|1[0-2])(?!\d)")
# SAM names its daily extract by Julian date: SAM_Exclusions_Public_Extract_V2_25321 is day 321 of 2025.
_SAM_JULIAN = re.compile(r"_V\d+_(\d\d)(\d{3})(?!\d)", re.IGNORECASE)
# OIG names its monthly supplements YYMMEXCL / YYMMREIN.
_LEIE_MONTH = re.compile(r"(?<!\d)(\d\d)(0[1-9]|1[0-2])(?:EXCL|REIN)", re.IGNORECASE)


def version_from_file_name(file_name: str, today: date) -> str:
    """The list version a file name states (a date or a month), else today's date."""
    if match := _ISO_DAY.search(file_name):
        try:
            return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
        except ValueError:
            pass
    if match := _SAM_JULIAN.search(file_name):
        year, day = 2000 + int(match[1]), int(match[2])
        if 1 <= day <= (366 if year % 4 == 0 else 365):
            return date.fromordinal(date(year, 1, 1).toordinal() + day - 1).isoformat()
    if match := _ISO_MONTH.search(file_name):
        return f"{match[1]}-{match[2]}"
    if match := _LEIE_MONTH.search(file_name):
        return f"20{match[1]}-{match[2]}"
    return today.isoformat()
