"""The AP workbench at scale: the queue page, the item page and claim-next for a clerk, over real HTTP.

Prints one JSON line. Loads N invoices (default 1,000,000) at 3 facilities, M of them (default 100,000) in
exception with a work item each, spread over the facilities' default queues with ages over the last 30 days
(`_queue_load.py`: COPY straight into the tables), then, as a clerk of the 3 facilities logged in through /login/,
times through gunicorn (2 workers, production settings, as `ingest.py`): queue pages of 50 items (several pages of
every queue), item pages (many different items) and claim-next (the POST alone, redirect not followed): p50/p95 ms.
SQL query counts are taken in-process (Django test client on the same database) for a queue page of 50 items and
one of 10 (they must be equal), for item pages and for claim-next. The baseline is the equivalent raw SQL in the
same run: a queue's 50 oldest open items, an item with its invoice and lines, and a SKIP LOCKED claim.

    .venv/bin/python bench/queue_pages.py [--invoices 1000000] [--items 100000] [--requests 300] [--keep-database]
        [--reuse-database] [--explain] [--profile] [--port 8766]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
import cProfile
import io
import json
import logging
import os
import pstats
import random
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import _django  # noqa: F401 (puts the project on sys.path and sets P2P_ENV and the settings module)
import _queue_load
import ingest

BENCH_DATABASE = "p2p_bench_queue"
PAGE = 50
PAGES = 5  # queue pages visited per queue (1..PAGES)
TARGETS_MS = {"queue_page_p95": 150, "item_page_p95": 150, "claim_next_p95": 50}
ITEM_LINK = re.compile(r"/workbench/items/(\d+)/")
CSRF_TOKEN = re.compile(r"csrf[^>]{0,200}?([A-Za-z0-9]{64})", re.IGNORECASE)


def database_setup(*, reuse: bool) -> None:
    """Start Django on the benchmark database: recreated and migrated, or the kept one as it is."""
    import django
    from django.conf import settings

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql"):
        sys.exit("queue needs PostgreSQL: set DATABASE_URL=postgres://...")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if reuse:
        database["NAME"] = BENCH_DATABASE
        django.setup()
        return
    ingest.BENCH_DATABASE = BENCH_DATABASE
    ingest.database_setup()


def loaded_from_database() -> _queue_load.Loaded:
    """What a kept benchmark database holds (for --reuse-database)."""
    from django.contrib.auth.models import User

    from matching.models import Invoice, WorkItem
    from p2p_portal.models import Facility

    facility_ids = list(
        Facility.objects.filter(code__in=[c for c, _ in _queue_load.FACILITIES]).values_list("pk", flat=True)
    )
    active = WorkItem.objects.exclude(state="closed")
    return _queue_load.Loaded(
        facility_ids=facility_ids,
        queue_ids=sorted(set(active.exclude(queue=None).values_list("queue_id", flat=True).order_by().distinct())),
        clerk_id=User.objects.get(username=_queue_load.CLERK).pk,
        invoices=Invoice.objects.count(),
        items=active.count(),
        open_items=active.filter(state="open").count(),
        closed_items=WorkItem.objects.filter(state="closed").count(),
    )


def gunicorn_start(port: int, var_dir: Path) -> subprocess.Popen[bytes]:
    """gunicorn as `ingest.py` starts it (2 workers, production settings), with the static files collected into a
    scratch folder (production pages need the manifest) and its log in a file (a pipe nobody reads fills up)."""
    import base64
    import secrets

    import requests

    environment = {
        key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DEBUG", "CELERY_TASK_ALWAYS_EAGER")
    }
    environment.update(
        P2P_ENV="production",
        P2P_VAR_DIR=str(var_dir),
        SECRET_KEY=secrets.token_urlsafe(50),
        BANK_ACCOUNT_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=ingest.database_url(),
    )
    root = Path(__file__).resolve().parent.parent
    subprocess.run(  # noqa: S603 (our own virtualenv's Python)
        [str(root / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=root, env=environment, check=True,
    )  # fmt: skip
    log = (var_dir / "gunicorn.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 (our own virtualenv's gunicorn)
        [str(root / ".venv/bin/gunicorn"), "p2p_portal.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "120"],
        cwd=root, env=environment, stdout=log, stderr=log,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except requests.RequestException:  # not listening yet, or workers still starting
            time.sleep(0.3)
    process.terminate()
    sys.exit(f"gunicorn did not answer: {(var_dir / 'gunicorn.log').read_text()[-2000:]}")


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds."""
    return {"p50": round(statistics.median(samples), 1), "p95": round(ingest.percentile(samples, 0.95), 1)}


def timed(operation: Callable[[], object], count: int, *, warmup: int = 5) -> list[float]:
    """Wall times in milliseconds of `count` calls after a few untimed ones."""
    for _ in range(warmup):
        operation()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def page_urls(queue_ids: list[int], count: int) -> list[str]:
    """Queue pages 1..PAGES of every queue, round robin, `count` of them."""
    urls = [f"/workbench/queues/{pk}/?page={page}" for page in range(1, PAGES + 1) for pk in queue_ids]
    return [urls[index % len(urls)] for index in range(count)]


def item_ids(loaded: _queue_load.Loaded, count: int) -> list[int]:
    """`count` different active items the clerk may read (all facilities, all queues)."""
    from matching.models import WorkItem

    ids = list(WorkItem.objects.exclude(state="closed").values_list("pk", flat=True))
    return random.Random(11).sample(ids, min(count, len(ids)))  # noqa: S311 (a reproducible sample)


class Browser:
    """A requests session that carries the portal's cookies itself: production cookies are Secure (`__Host-`),
    which requests will not send over plain HTTP to loopback."""

    def __init__(self, base: str) -> None:
        import requests

        self.base = base
        self.session = requests.Session()
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""

    def _remember(self, response: Any) -> None:
        for header in response.raw.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def request(self, method: str, path: str, **options: Any) -> Any:
        """One request with the cookies; new cookies remembered; redirects not followed."""
        headers = {**options.pop("headers", {}), "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        response = self.session.request(
            method, self.base + path, headers=headers, allow_redirects=False, timeout=120, **options
        )
        self._remember(response)
        return response

    def csrf_from(self, html: str) -> str:
        """Keep the CSRF token a page carries (form field, meta tag or htmx header)."""
        found = CSRF_TOKEN.search(html)
        if found:
            self.csrf_token = found.group(1)
        return self.csrf_token

    def login(self, username: str, password: str) -> None:
        """Sign in through the login page, as a person does."""
        page = self.request("GET", "/login/")
        token = self.csrf_from(page.text)
        response = self.request(
            "POST", "/login/", data={"username": username, "password": password, "csrfmiddlewaretoken": token}
        )
        if response.status_code != 302:
            raise RuntimeError(f"login failed: {response.status_code} {response.text[:500]}")


def http_measure(base: str, loaded: _queue_load.Loaded, requests_count: int) -> dict[str, Any]:
    """Queue pages, item pages and claim-next through gunicorn as the clerk; p50/p95 and statuses."""
    browser = Browser(base)
    browser.login(_queue_load.CLERK, _queue_load.PASSWORD)
    statuses: dict[str, dict[int, int]] = {}

    def get(kind: str, path: str) -> Any:
        response = browser.request("GET", path)
        statuses.setdefault(kind, {}).setdefault(response.status_code, 0)
        statuses[kind][response.status_code] += 1
        return response

    results: dict[str, Any] = {}
    results["healthz"] = percentiles(timed(lambda: get("healthz", "/healthz"), requests_count))
    urls = iter(page_urls(loaded.queue_ids, requests_count + 5))
    results["queue_page"] = percentiles(timed(lambda: get("queue", next(urls)), requests_count))
    items = iter(item_ids(loaded, requests_count + 5))
    last: list[Any] = []
    results["item_page"] = percentiles(
        timed(lambda: last.append(get("item", f"/workbench/items/{next(items)}/")), requests_count)
    )
    if last and last[-1].status_code == 200:
        browser.csrf_from(last[-1].text)
    if not browser.csrf_token:
        browser.csrf_from(get("workbench", "/workbench/").text)

    def claim() -> None:
        response = browser.request(
            "POST", "/workbench/next/", data={"csrfmiddlewaretoken": browser.csrf_token},
            headers={"X-CSRFToken": browser.csrf_token, "Referer": base + "/workbench/"},
        )  # fmt: skip
        statuses.setdefault("claim", {}).setdefault(response.status_code, 0)
        statuses["claim"][response.status_code] += 1

    results["claim_next"] = percentiles(timed(claim, requests_count))
    results["statuses"] = statuses
    return results


def rendered_items(html: str) -> int:
    """How many different items a queue page links to (its rows)."""
    return len(set(ITEM_LINK.findall(html)))


def query_counts(loaded: _queue_load.Loaded, *, explain: bool, profile: bool) -> dict[str, Any]:
    """SQL queries per page in-process (test client on the same database): a queue page of 50 and of 10 items
    (the rest closed inside a rolled-back transaction), item pages of each kind, claim-next."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from matching.models import WorkItem

    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(pk=loaded.clerk_id))
    captured: dict[str, list[dict[str, str]]] = {}

    def count(name: str, method: str, path: str) -> tuple[int, Any]:
        call = client.post if method == "POST" else client.get
        call(path)  # warm (first-use caches, content types, permissions) so that counts are steady
        profiler = cProfile.Profile() if profile else None
        with CaptureQueriesContext(connection) as context:
            if profiler is not None:
                profiler.enable()
            response = call(path)
            if profiler is not None:
                profiler.disable()
        if profiler is not None:
            report = io.StringIO()
            pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(30)
            print(f"--- cProfile {name} {path}\n{report.getvalue()}", file=sys.stderr)
        captured[name] = list(context.captured_queries)
        return len(context.captured_queries), response

    biggest = (
        WorkItem.objects.filter(state="open", queue_id__in=loaded.queue_ids)
        .values_list("queue_id", flat=True)
        .order_by("queue_id")
        .distinct()
    )
    queue_id = max(biggest, key=lambda pk: WorkItem.objects.filter(queue_id=pk, state="open").count())
    path = f"/workbench/queues/{queue_id}/"
    counts: dict[str, Any] = {}
    queries_50, response = count("queue_page_50", "GET", path)
    counts["queue_page_50"] = {
        "queries": queries_50,
        "status": response.status_code,
        "rows": rendered_items(response.content.decode()),
    }
    with transaction.atomic():
        keep = list(
            WorkItem.objects.filter(queue_id=queue_id, state="open")
            .order_by("opened_at", "id")
            .values_list("pk", flat=True)[:10]
        )
        WorkItem.objects.filter(queue_id=queue_id, state="open").exclude(pk__in=keep).update(state="closed")
        queries_10, response = count("queue_page_10", "GET", path)
        counts["queue_page_10"] = {
            "queries": queries_10,
            "status": response.status_code,
            "rows": rendered_items(response.content.decode()),
        }
        transaction.set_rollback(True)
    kinds = {
        "variance": "price_variance",
        "duplicate": "duplicate_suspect",
        "no_po": "po_not_found",
        "no_receipt": "no_receipt",
        "vendor": "bank_unverified",
    }
    item_counts = {}
    for kind, code in kinds.items():
        item = WorkItem.objects.filter(state="open", invoice__exceptions__code=code).order_by("pk").first()
        if item is not None:
            queries, response = count(f"item_{kind}", "GET", f"/workbench/items/{item.pk}/")
            item_counts[kind] = {"queries": queries, "status": response.status_code}
    counts["item_page"] = item_counts
    counts["item_page_20_lines"] = item_with_more_lines(count)
    queries, response = count("claim_next", "POST", "/workbench/next/")
    counts["claim_next"] = {"queries": queries, "status": response.status_code}
    # Give back what the in-process claim took, so the HTTP clerk starts from the same state.
    WorkItem.objects.filter(claimed_by_id=loaded.clerk_id).update(
        claimed_by=None, claimed_at=None, lease_expires_at=None
    )
    if explain:
        explain_slowest(captured)
    return counts


def item_with_more_lines(count: Callable[[str, str, str], tuple[int, Any]]) -> dict[str, Any]:
    """The queries of a variance item's page with 3 lines and with 20 (17 more lines, PO lines, receipt lines and
    matches added inside a rolled-back transaction): the same number if the page has no N+1."""
    from django.db import transaction

    from matching.models import InvoiceLine, LineMatch, PurchaseOrderLine, ReceiptLine, WorkItem

    item = WorkItem.objects.filter(state="open", invoice__exceptions__code="price_variance").order_by("pk").first()
    if item is None or item.invoice.purchase_order_id is None:
        return {}
    path = f"/workbench/items/{item.pk}/"
    before, _response = count("item_3_lines", "GET", path)
    with transaction.atomic():
        invoice = item.invoice
        template = invoice.lines.select_related("match__po_line").order_by("line_number").first()
        order, model_line = invoice.purchase_order, template.match.po_line if template is not None else None
        assert order is not None
        assert template is not None
        assert model_line is not None
        receipt = order.receipts.first()
        for number in range(4, 21):
            po_line = PurchaseOrderLine.objects.get(pk=model_line.pk)
            po_line.pk, po_line.line_number = None, number
            po_line.save()
            line = InvoiceLine.objects.get(pk=template.pk)
            line.pk, line.line_number, line.po_line_number = None, number, number
            line.save()
            match = LineMatch.objects.get(pk=template.match.pk)
            match.pk, match.invoice_line, match.po_line = None, line, po_line
            match.save()
            if receipt is not None:
                ReceiptLine.objects.create(receipt=receipt, po_line=po_line, quantity=po_line.quantity_ordered)
        after, response = count("item_20_lines", "GET", path)
        transaction.set_rollback(True)
    return {"queries_3_lines": before, "queries_20_lines": after, "status": response.status_code}


def explain_slowest(captured: dict[str, list[dict[str, str]]], top: int = 4) -> None:
    """EXPLAIN ANALYZE the slowest SELECTs of each page (to stderr)."""
    from django.db import connection

    for name, queries in captured.items():
        selects = [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
        for query in sorted(selects, key=lambda q: -float(q["time"]))[:top]:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"--- {name}: {query['time']} s\n{query['sql']}\n{plan}\n", file=sys.stderr)


def raw_baseline(loaded: _queue_load.Loaded, requests_count: int) -> dict[str, Any]:
    """The same reads and the claim in raw SQL on one connection: the floor the pages are read against."""
    from django.db import connection

    pages = [(pk, page) for page in range(1, PAGES + 1) for pk in loaded.queue_ids]
    items = item_ids(loaded, requests_count + 5)
    state = {"page": 0, "item": 0}
    with connection.cursor() as cursor:

        def queue_page() -> None:
            queue_id, page = pages[state["page"] % len(pages)]
            state["page"] += 1
            cursor.execute(
                "SELECT w.*, i.invoice_number, i.total_amount, v.legal_name FROM matching_workitem w"
                " JOIN matching_invoice i ON i.id = w.invoice_id LEFT JOIN vendors_vendor v ON v.id = i.vendor_id"
                " WHERE w.queue_id = %s AND w.state = 'open' ORDER BY w.opened_at, w.id LIMIT 50 OFFSET %s",
                [queue_id, (page - 1) * PAGE],
            )
            cursor.fetchall()

        def item_page() -> None:
            pk = items[state["item"] % len(items)]
            state["item"] += 1
            cursor.execute(
                "SELECT w.invoice_id, w.*, i.* FROM matching_workitem w"
                " JOIN matching_invoice i ON i.id = w.invoice_id WHERE w.id = %s",
                [pk],
            )
            invoice_id = cursor.fetchone()[0]
            cursor.execute(
                "SELECT * FROM matching_invoiceline WHERE invoice_id = %s ORDER BY line_number", [invoice_id]
            )
            cursor.fetchall()

        def claim() -> None:
            with connection.cursor() as claim_cursor:
                claim_cursor.execute("BEGIN")
                claim_cursor.execute(
                    "UPDATE matching_workitem SET claimed_by_id = NULL, claimed_at = NULL, lease_expires_at = NULL"
                    " WHERE claimed_by_id = %s AND state = 'open'",
                    [loaded.clerk_id],
                )
                claim_cursor.execute(
                    "SELECT id FROM matching_workitem WHERE queue_id = ANY(%s) AND state = 'open'"
                    " AND (claimed_by_id IS NULL OR lease_expires_at <= now())"
                    " ORDER BY opened_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
                    [loaded.queue_ids],
                )
                row = claim_cursor.fetchone()
                if row:
                    claim_cursor.execute(
                        "UPDATE matching_workitem SET claimed_by_id = %s, claimed_at = now(),"
                        " lease_expires_at = now() + interval '30 minutes' WHERE id = %s",
                        [loaded.clerk_id, row[0]],
                    )
                claim_cursor.execute("COMMIT")

        results = {
            "queue_page": percentiles(timed(queue_page, requests_count)),
            "item_page": percentiles(timed(item_page, requests_count)),
            "claim_next": percentiles(timed(claim, requests_count)),
        }
        cursor.execute(
            "UPDATE matching_workitem SET claimed_by_id = NULL, claimed_at = NULL, lease_expires_at = NULL"
            " WHERE claimed_by_id = %s",
            [loaded.clerk_id],
        )
    return results


def targets(http: dict[str, Any], counts: dict[str, Any]) -> dict[str, bool]:
    """Which of the issue's targets this run met."""
    lines = counts.get("item_page_20_lines", {})
    return {
        "queue_page_p95_under_150ms": http["queue_page"]["p95"] < TARGETS_MS["queue_page_p95"],
        "item_page_p95_under_150ms": http["item_page"]["p95"] < TARGETS_MS["item_page_p95"],
        "claim_next_p95_under_50ms": http["claim_next"]["p95"] < TARGETS_MS["claim_next_p95"],
        "queue_page_queries_independent_of_size": counts["queue_page_50"]["queries"]
        == counts["queue_page_10"]["queries"],
        "item_page_queries_independent_of_lines": bool(lines) and lines["queries_3_lines"] == lines["queries_20_lines"],
    }


def main() -> None:
    """Load (or reuse), count queries in-process, time the raw baseline, time the pages over HTTP; one JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=100_000, help="Invoices in exception, one work item each.")
    parser.add_argument("--requests", type=int, default=300, help="Timed requests per page (and baseline query).")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--keep-database", action="store_true", help="Keep the benchmark database afterwards.")
    parser.add_argument("--reuse-database", action="store_true", help="Measure a kept database without loading.")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest queries (stderr).")
    parser.add_argument("--profile", action="store_true", help="cProfile each page in-process (stderr).")
    options = parser.parse_args()

    database_setup(reuse=options.reuse_database)
    logging.disable(logging.WARNING)  # the in-process portal logs to stdout, where only the JSON line goes
    from django.db import connection

    if options.reuse_database:
        loaded = loaded_from_database()
    else:
        loaded = _queue_load.load(invoices=options.invoices, items=options.items)
    counts = query_counts(loaded, explain=options.explain, profile=options.profile)
    with connection.cursor() as cursor:
        # The rolled-back update above left dead rows and cleared the visibility map: vacuum as autovacuum would.
        cursor.execute("VACUUM ANALYZE matching_workitem")
    baseline = raw_baseline(loaded, options.requests)
    connection.close()
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as scratch:
        server = gunicorn_start(options.port, Path(scratch))
        try:
            http = http_measure(f"http://127.0.0.1:{options.port}", loaded, options.requests)
        finally:
            server.terminate()
            server.wait(timeout=30)
            errors = (Path(scratch) / "gunicorn.log").read_text(errors="replace")
    if "Traceback" in errors:
        print(f"--- gunicorn errors (last 3000 characters)\n{errors[-3000:]}", file=sys.stderr)
    print(
        json.dumps(
            {
                "benchmark": "queue",
                "database": connection.vendor,
                "invoices": loaded.invoices,
                "items": loaded.items,
                "open_items": loaded.open_items,
                "closed_items": loaded.closed_items,
                "queues": len(loaded.queue_ids),
                "load_seconds": loaded.seconds,
                "requests_per_page": options.requests,
                "queue_page_p50_ms": http["queue_page"]["p50"],
                "queue_page_p95_ms": http["queue_page"]["p95"],
                "item_page_p50_ms": http["item_page"]["p50"],
                "item_page_p95_ms": http["item_page"]["p95"],
                "claim_next_p50_ms": http["claim_next"]["p50"],
                "claim_next_p95_ms": http["claim_next"]["p95"],
                "healthz_p50_ms": http["healthz"]["p50"],
                "queries": counts,
                "statuses": http["statuses"],
                "baseline_raw_sql_ms": baseline,
                "targets_met": targets(http, counts),
            }
        )
    )
    if not (options.keep_database or options.reuse_database):
        connection.close()
        connection.creation.destroy_test_db(BENCH_DATABASE, verbosity=0)


if __name__ == "__main__":
    os.environ.setdefault("P2P_ENV", "test")
    main()
