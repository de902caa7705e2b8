"""Pure HTTP client for the Coupa-style procurement API (the sandbox speaks it): no ORM, no Django.

Reads return raw dicts; mapping them to canonical records (and raising MalformedRecordError) is the
mapping layer's job. Every failure is a typed error from integrations.errors that says whether a retry
can help. `RetryPolicy` is the backoff the sync jobs use around any call.

Incremental reads walk the (updated_at, id) order as a keyset: each request asks for
`updated-at[gte]=<last updated-at seen>` and drops the records already delivered at exactly that time.
A record changed during the walk gets a later updated-at and so turns up again further on; nothing is
skipped, whatever changes between requests. `SyncCursor` is what a sync job persists after applying a page.
"""

from __future__ import annotations

import email.utils
import functools
import itertools
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests

from integrations.errors import (
    AuthenticationError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    TransientError,
)

API_KEY_HEADER = "X-COUPA-API-KEY"
SUPPLIERS = "suppliers"
PURCHASE_ORDERS = "purchase_orders"
RECEIPTS = "receipts"
ENTITIES = (SUPPLIERS, PURCHASE_ORDERS, RECEIPTS)
UPDATED_AT = "updated-at"

Result = TypeVar("Result")


# --- retry policy ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, honouring Retry-After, within a budget of attempts.

    Attempt n (1-based) that failed with a retryable error waits a random time in
    [backoff/2, backoff] where backoff = min(max_delay, base_delay * multiplier ** (n - 1)); when the
    server sent Retry-After, at least that long. A Retry-After above `max_retry_after` is not waited
    for: the error goes up so that the caller (a Celery task) can reschedule instead of sleeping.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 30.0
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.multiplier < 1 or self.max_delay < 0:
            raise ValueError("max_attempts >= 1, base_delay >= 0, multiplier >= 1, max_delay >= 0")

    def delay(self, attempt: int, error: ConnectorError, *, draw: Callable[[], float] = random.random) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when no retry should be made."""
        if not error.retryable or attempt >= self.max_attempts:
            return None
        backoff = min(self.max_delay, self.base_delay * self.multiplier ** (attempt - 1))
        wait = backoff / 2 + draw() * backoff / 2
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            wait = max(wait, error.retry_after)
        return wait

    def call(
        self,
        operation: Callable[[], Result],
        *,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[int, ConnectorError, float], None] | None = None,
    ) -> Result:
        """Run `operation`, retrying connector errors as the policy allows; the last error goes up."""
        attempt = 1
        while True:
            try:
                return operation()
            except ConnectorError as error:
                wait = self.delay(attempt, error)
                if wait is None:
                    raise
                if on_retry is not None:
                    on_retry(attempt, error, wait)
                sleep(wait)
                attempt += 1


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


# --- pages and cursors ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncCursor:
    """Where an incremental read stands: the last updated-at delivered and the ids delivered at exactly it."""

    updated_at: str
    ids_at: frozenset[int] = frozenset()

    def encode(self) -> str:
        return json.dumps({"updated_at": self.updated_at, "ids_at": sorted(self.ids_at)}, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> SyncCursor | None:
        if not text:
            return None
        try:
            stored = json.loads(text)
            return cls(updated_at=str(stored["updated_at"]), ids_at=frozenset(int(i) for i in stored["ids_at"]))
        except (ValueError, KeyError, TypeError):
            # A bare timestamp (an older or hand-set cursor) means "everything after this time".
            return cls(updated_at=text)

    def advanced(self, records: list[dict[str, Any]]) -> SyncCursor:
        """The cursor after delivering `records` (in the API's order)."""
        if not records:
            return self
        last = _updated_at(records[-1])
        at_last = {_record_id(r) for r in records if _updated_at(r) == last}
        return SyncCursor(last, (self.ids_at | at_last) if last == self.updated_at else frozenset(at_last))

    def delivered(self, record: dict[str, Any]) -> bool:
        return _updated_at(record) == self.updated_at and _record_id(record) in self.ids_at


@dataclass(frozen=True)
class PageResponse:
    """One raw answer of a list call."""

    records: list[dict[str, Any]]
    limit: int
    offset: int
    total: int | None
    limit_capped: bool
    server_time: datetime | None = None


@dataclass(frozen=True)
class SyncPage:
    """Records new to the walk, and the cursor to persist once they are applied."""

    entity: str
    records: list[dict[str, Any]]
    cursor: SyncCursor | None
    fetched: int = 0


def _updated_at(record: dict[str, Any]) -> str:
    value = record.get(UPDATED_AT)
    if not isinstance(value, str) or not value:
        raise PermanentError(f"record {record.get('id')!r} has no {UPDATED_AT}; the walk cannot go on")
    return value


def _moment(record: dict[str, Any]) -> datetime:
    text = _updated_at(record)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PermanentError(f"record {record.get('id')!r} has an unreadable {UPDATED_AT}: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _not_after(horizon: datetime, record: dict[str, Any]) -> bool:
    return _moment(record) <= horizon


def _server_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _record_id(record: dict[str, Any]) -> int:
    value = record.get("id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise PermanentError(f"record without an integer id: {str(record)[:200]}")
    return value


# --- the client -----------------------------------------------------------------------------------------------


class ProcurementClient:
    """Calls to one procurement system; the API key comes from the caller (the connector reads it from env)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        connect_timeout: float = 3.05,
        read_timeout: float = 30.0,
        page_size: int = 50,
        session: requests.Session | None = None,
    ) -> None:
        if not api_key:
            raise AuthenticationError("no API key configured for the procurement system")
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.page_size = page_size
        self.session = session or requests.Session()
        self.session.headers.update(
            {API_KEY_HEADER: api_key, "Accept": "application/json", "User-Agent": "p2p-portal-procurement/1"}
        )

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ProcurementClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _get(self, path: str, params: dict[str, str | int] | None = None) -> requests.Response:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.Timeout as error:
            raise TransientError(f"timed out: GET {path} ({error.__class__.__name__})") from error
        except requests.ConnectionError as error:
            raise TransientError(f"connection failed: GET {path} ({error})") from error
        except requests.RequestException as error:  # broken chunking, decoding: the answer was cut
            raise TransientError(f"incomplete answer: GET {path} ({error})") from error
        status = response.status_code
        if status < 400:
            return response
        detail = f"GET {path}: {status} {response.text[:300]}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status in (401, 403):
            raise AuthenticationError(detail, status=status)
        if status == 429:
            raise RateLimitedError(detail, status=status, retry_after=retry_after)
        if status >= 500 or status == 408:
            raise TransientError(detail, status=status, retry_after=retry_after)
        raise PermanentError(detail, status=status)

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as error:  # a body cut short or a proxy's HTML page: asking again may do
            raise TransientError(f"unreadable JSON from {response.url}", status=response.status_code) from error

    def list_page(
        self,
        entity: str,
        *,
        offset: int = 0,
        limit: int | None = None,
        updated_after: str | None = None,
        updated_from: str | None = None,
    ) -> PageResponse:
        """One page in (updated_at, id) order; `updated_after` is exclusive (`[gt]`), `updated_from` inclusive."""
        _check_entity(entity)
        params: dict[str, str | int] = {"limit": limit or self.page_size, "offset": offset}
        if updated_after is not None:
            params["updated-at[gt]"] = updated_after
        if updated_from is not None:
            params["updated-at[gte]"] = updated_from
        response = self._get(f"/api/{entity}", params)
        records = self._json(response)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise PermanentError(f"/api/{entity} answered something other than a list of records")
        headers = response.headers
        total = headers.get("X-Total-Count")
        return PageResponse(
            records=records,
            limit=int(headers.get("X-Page-Limit") or params["limit"]),
            offset=offset,
            total=int(total) if total and total.isdigit() else None,
            limit_capped="X-Page-Limit-Capped" in headers,
            server_time=_server_time(headers.get("Date")),
        )

    def get(self, entity: str, record_id: int) -> dict[str, Any]:
        _check_entity(entity)
        record = self._json(self._get(f"/api/{entity}/{int(record_id)}"))
        if not isinstance(record, dict):
            raise PermanentError(f"/api/{entity}/{record_id} answered something other than a record")
        return record

    def iter_changes(
        self,
        entity: str,
        *,
        cursor: SyncCursor | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        bounded: bool = True,
    ) -> Iterator[SyncPage]:
        """Every record updated after `cursor` (all records when None), page by page, in (updated_at, id) order.

        Persist `page.cursor` only after the page is applied; resuming from it neither skips nor repeats.
        A record changed while the walk runs may come twice (old and new version): the later one wins.
        `bounded` ends the walk at the server's clock (Date header) of its first answer, so that a source
        changing faster than we read cannot keep one run going forever; later changes are the next run's.
        """
        _check_entity(entity)
        offset = 0
        horizon: datetime | None = None
        while True:
            fetch = self._walk_request(entity, cursor, offset)
            answer = retry.call(fetch, sleep=sleep) if retry else fetch()
            if bounded and horizon is None and answer.server_time is not None:
                horizon = answer.server_time + timedelta(seconds=1)  # Date has whole seconds: round up
            fresh = [r for r in answer.records if cursor is None or not cursor.delivered(r)]
            reached_horizon = False
            if horizon is not None:
                within = list(itertools.takewhile(functools.partial(_not_after, horizon), fresh))
                reached_horizon, fresh = len(within) < len(fresh), within
            following: SyncCursor | None = cursor
            if fresh:
                following = (cursor or SyncCursor("")).advanced(fresh)
            yield SyncPage(entity=entity, records=fresh, cursor=following, fetched=len(answer.records))
            if reached_horizon or len(answer.records) < answer.limit:
                return
            if following is not None and all(_updated_at(r) == following.updated_at for r in answer.records):
                # A whole page shares one updated-at: step through that tie by offset, overlapping half a page
                # so that a few of its records moving away meanwhile cannot make us skip one.
                offset = max(offset + 1, len(following.ids_at) - answer.limit // 2)
            else:
                offset = 0
            cursor = following

    def _walk_request(self, entity: str, cursor: SyncCursor | None, offset: int) -> Callable[[], PageResponse]:
        def fetch() -> PageResponse:
            if cursor is None:
                return self.list_page(entity, offset=offset)
            return self.list_page(entity, offset=offset, updated_from=cursor.updated_at)

        return fetch

    def read_all(
        self, entity: str, *, cursor: SyncCursor | None = None, retry: RetryPolicy | None = None
    ) -> tuple[dict[int, dict[str, Any]], SyncCursor | None]:
        """Latest version of every record changed after `cursor`, by id, and the cursor after them."""
        latest: dict[int, dict[str, Any]] = {}
        for page in self.iter_changes(entity, cursor=cursor, retry=retry):
            for record in page.records:
                latest[_record_id(record)] = record
            cursor = page.cursor or cursor
        return latest, cursor


def _check_entity(entity: str) -> None:
    if entity not in ENTITIES:
        raise ValueError(f"entity is one of {', '.join(ENTITIES)}")
