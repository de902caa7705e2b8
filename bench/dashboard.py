"""Operational visibility at scale: every insights report, the accrual report and a drill-down list, over real HTTP.

Prints one JSON line. Loads a year of procure-to-pay at 3 facilities (`_dashboard_load.py`, COPY straight into the
tables: N invoices, default 1,000,000, with lines, POs, receipts, exceptions, work items, history, approvals, vendor
governance, sync runs and outbox), then calls every summary refresh service the areas define (`*_refresh` in
`insights/<area>/services`, timed), and, as a reader holding ap_manager, procurement_admin and auditor at the 3
facilities, signed in through /login/ and a TOTP code (those roles need a second factor), times through gunicorn
(2 workers, production settings, as `queue_pages.py`) every page of `insights.catalogue.all_reports()` in a few
filter variants (all facilities, one facility, the last 90 and 365 days; as-of reports at two dates) and the first
drill-down list each report links to: p50/p95 ms. Pages are discovered at run time: an area with no report yet is
listed under "missing". SQL queries per page are counted in-process (Django test client); with --explain, the
slowest queries of the pages over the target are EXPLAIN ANALYZEd to stderr. The baseline is the plain SQL the main
figures stand for, timed the same way in the same run (at most 5 runs each: at a million invoices the heaviest take
seconds). Checks: direct SQL counts of open records looked for on the pages, and figures that link to a list
against that list's row count (its CSV export).

    .venv/bin/python bench/dashboard.py [--invoices 1000000] [--requests 30] [--keep-database] [--reuse-database]
        [--no-refresh] [--load-only] [--explain] [--port 8767]
"""

from __future__ import annotations

import argparse
import csv
import html
import inspect
import io
import json
import logging
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import _django  # noqa: F401 (puts the project on sys.path and sets P2P_ENV and the settings module)
import _dashboard_load
import _queue_load
import queue_pages

BENCH_DATABASE = "p2p_bench_dashboard"
TARGET_P95_MS = 300
FIGURES_CHECKED = 6  # per report: figures that link to a list, compared with the list's CSV row count
CSV_ROWS_CHECKED = 20_000
BASELINE_RUNS = 5  # the slowest statements take seconds at a million invoices (p95 of 5 is their slowest)
LINK = re.compile(r'<a\b[^>]*?href="(/insights/[^"#]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
INPUT = re.compile(r"<(?:input|select)\b([^>]*)>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
NUMBER = re.compile(r"^\s*\$?\s*([\d,]+)\s*$")
TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Page:
    """One timed URL: a report in one filter variant, or a drill-down list."""

    name: str
    path: str
    report: str


def database_setup(*, reuse: bool) -> None:
    """The benchmark database: recreated and migrated, or the kept one brought up to the current migrations (an
    area's summary tables may have landed since it was loaded)."""
    queue_pages.BENCH_DATABASE = BENCH_DATABASE
    queue_pages.database_setup(reuse=reuse)
    if reuse:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def refresh_services() -> dict[str, Any]:
    """Every `*_refresh` service of the areas' services modules, by "area.name"."""
    from insights.catalogue import AREAS

    found: dict[str, Any] = {}
    for area in AREAS:
        try:
            module = import_module(f"insights.{area}.services")
        except ModuleNotFoundError:
            continue
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.endswith("_refresh") and function.__module__.startswith(module.__name__):
                found[f"{area}.{name}"] = function
    return found


def refresh_summaries() -> dict[str, Any]:
    """Call every summary refresh service (with an actor when it takes one): seconds each, or why not. A service
    that calls others of the list (an area's "refresh all") is called instead of them, so nothing runs twice."""
    services = refresh_services()
    covered = {}
    for name, function in services.items():
        source = inspect.getsource(function)
        for other in services:
            if other != name and re.search(rf"\b{other.split('.')[1]}\(", source):
                covered[other] = name
    timings: dict[str, Any] = {}
    for name, function in services.items():
        if name in covered:
            timings[name] = f"within {covered[name]}"
            continue
        parameters = inspect.signature(function).parameters
        arguments = {"actor": "bench: dashboard"} if "actor" in parameters else {}
        needed = [
            parameter.name
            for parameter in parameters.values()
            if parameter.default is inspect.Parameter.empty
            and parameter.name not in arguments
            and parameter.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        ]
        if needed:
            timings[name] = f"skipped: needs {', '.join(needed)}"
            continue
        started = time.perf_counter()
        try:
            function(**arguments)
        except Exception as error:  # a failing refresh is a finding to report, not a crash
            timings[name] = f"failed: {type(error).__name__}: {str(error)[:200]}"
            continue
        timings[name] = round(time.perf_counter() - started, 2)
    return timings


def form_fields(text: str) -> dict[str, str]:
    """Names of a page's form fields with their type (to tell date-range reports from as-of reports)."""
    fields = {}
    for match in INPUT.finditer(text):
        attributes = dict(ATTRIBUTE.findall(match.group(1)))
        if "name" in attributes:
            fields[attributes["name"]] = attributes.get("type", "select")
    return fields


def variants(path: str, text: str, today: date, facility: str) -> list[tuple[str, str]]:
    """The filter variants of a report: all facilities, one, the last 90 and 365 days (as-of reports: two dates)."""

    def url(**query: str) -> str:
        return f"{path}?{urlencode(query)}" if query else path

    fields = form_fields(text)
    found = [("all", url()), ("facility", url(facility=facility))]
    if "from" in fields:
        for days in (90, 365):
            found.append((f"{days}d", url(**{"from": (today - timedelta(days=days - 1)).isoformat()})))
        return found
    dated = [name for name, kind in fields.items() if kind == "date"]
    if dated:
        month_end = today.replace(day=1) - timedelta(days=1)
        found.append(("as_of_month_end", url(**{dated[0]: month_end.isoformat()})))
        found.append(("as_of_90d_ago", url(**{dated[0]: (today - timedelta(days=90)).isoformat()})))
    return found


def figure_links(text: str, report_paths: set[str]) -> list[tuple[str, int | None]]:
    """Links from a page to insights lists (not to reports, not CSV), with the figure each link shows (if a number)."""
    found = []
    for href, inner in LINK.findall(text):
        href = html.unescape(href)
        if urlsplit(href).path in report_paths or "format=csv" in href:
            continue
        number = NUMBER.match(html.unescape(TAGS.sub("", inner)))
        found.append((href, int(number.group(1).replace(",", "")) if number else None))
    return found


def is_html_page(client: Any, path: str) -> bool:
    """Whether a link opens a page (a list), not a download."""
    response = client.get(path)
    return bool(response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"))


def csv_rows(client: Any, path: str) -> int | None:
    """Rows (without the header) of a page's CSV export, or None if it has none."""
    separator = "&" if "?" in path else "?"
    response = client.get(f"{path}{separator}format=csv")
    if response.status_code != 200 or "csv" not in response.get("Content-Type", ""):
        return None
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return max(0, sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1)


def discover(client: Any, today: date) -> tuple[list[Page], dict[str, Any]]:
    """The pages to time, read from the catalogue and from the pages themselves; what is missing; the figures."""
    from insights.catalogue import AREAS, all_reports

    reports = all_reports()
    from django.urls import reverse

    # Links to the reports themselves and to the index (breadcrumbs) are not lists behind a figure.
    report_paths = {report.url for report in reports} | {reverse("insights:index")}
    facility = _queue_load.FACILITIES[0][0]
    pages: list[Page] = []
    found: dict[str, Any] = {"missing": [], "links": {}, "texts": {}, "areas": {}, "freshness": {}}
    for area in AREAS:
        if not any(report.url_name.startswith(f"insights:{area}:") for report in reports):
            found["missing"].append(f"{area} reports")
    if not any("accrual" in f"{report.key} {report.url}" for report in reports):
        found["missing"].append("accrual report")
    for report in reports:
        response = client.get(report.url)
        if response.status_code != 200:
            found["missing"].append(f"{report.key} (HTTP {response.status_code})")
            continue
        text = response.content.decode()
        found["texts"][report.key] = text
        found["areas"][report.key] = report.url_name.split(":")[1]
        found["freshness"][report.key] = "ins-fresh" in text
        for variant, path in variants(report.url, text, today, facility):
            pages.append(Page(f"{report.key}:{variant}", path, report.key))
        links = figure_links(text, report_paths)
        found["links"][report.key] = links
        # A link that shows a figure first (following a number to its list is the point), then any other.
        ordered = [href for href, figure in links if figure is not None] + [href for href, _ in links]
        lists = (href for href in ordered if is_html_page(client, href))
        drill_down = next(lists, None)
        if drill_down is not None:
            pages.append(Page(f"{report.key}:drill_down", drill_down, report.key))
        else:
            found["missing"].append(f"{report.key} drill-down list")
    return pages, found


def reader_client() -> Any:
    """A test client signed in as the reader, second factor passed (as django_otp.login records it)."""
    from django.contrib.auth.models import User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username=_dashboard_load.READER))
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user__username=_dashboard_load.READER).persistent_id
    session.save()
    return client


def query_counts(client: Any, pages: list[Page], *, explain: bool) -> dict[str, Any]:
    """SQL queries and status of each page in-process, after a warming request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts: dict[str, Any] = {}
    captured: dict[str, list[dict[str, str]]] = {}
    for page in pages:
        client.get(page.path)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as context:
            response = client.get(page.path)
        elapsed = (time.perf_counter() - started) * 1000
        counts[page.name] = {"queries": len(context.captured_queries), "status": response.status_code}
        if elapsed > TARGET_P95_MS:  # only the pages that miss the target are worth a plan
            captured[f"{page.name} ({elapsed:.0f} ms in-process)"] = list(context.captured_queries)
    if explain:
        queue_pages.explain_slowest(captured, top=3)
    return counts


# Open records counted straight in SQL over all facilities, and the area whose dashboard shows each as it is.
DIRECT_COUNTS = {
    "open_exceptions": ("operations", "SELECT count(*) FROM matching_invoiceexception WHERE state = 'open'"),
    "open_work_items": ("operations", "SELECT count(*) FROM matching_workitem WHERE state = 'open'"),
    "pending_deliveries": ("operations", "SELECT count(*) FROM integrations_outboxdelivery WHERE status = 'pending'"),
    "open_dead_letters": ("operations", "SELECT count(*) FROM integrations_deadletter WHERE status = 'open'"),
    "pending_change_requests": ("governance", "SELECT count(*) FROM vendors_changerequest WHERE status = 'pending'"),
    "open_duplicate_candidates": (
        "governance",
        "SELECT count(*) FROM vendors_duplicatecandidate WHERE status = 'open'",
    ),
    "open_screening_hits": ("governance", "SELECT count(*) FROM vendors_screeninghit WHERE status = 'open'"),
}


def shows(text: str, value: int) -> bool:
    """Whether a page's text shows this number as a whole figure (1234 or 1,234; not inside another number)."""
    words = TAGS.sub(" ", text)
    return any(re.search(rf"(?<![\d,.]){re.escape(form)}(?![\d,]|\.\d)", words) for form in {str(value), f"{value:,}"})


def checks(found: dict[str, Any], client: Any) -> dict[str, Any]:
    """Direct SQL counts looked for on their area's pages; figures that link to a list against the list's CSV rows."""
    from django.db import connection

    results: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for name, (area, statement) in DIRECT_COUNTS.items():
            cursor.execute(statement)
            value = cursor.fetchone()[0]
            texts = [text for key, text in found["texts"].items() if found["areas"][key] == area]
            if not texts:
                results[name] = {"sql": value, "shown": "no page yet"}
            elif value < 100:  # a small number shows up anywhere (a day, a count of something else): no evidence
                results[name] = {"sql": value, "shown": "too small to tell"}
            else:
                results[name] = {"sql": value, "shown": any(shows(text, value) for text in texts)}
    lists: dict[str, Any] = {}
    for key, links in found["links"].items():
        compared: list[dict[str, Any]] = []
        for href, figure in links:
            if figure is None or figure > CSV_ROWS_CHECKED or any(href == entry["link"] for entry in compared):
                continue  # not a count, a CSV too large to export in-process here, or already compared
            rows = csv_rows(client, href)
            if rows is not None:
                compared.append({"link": href, "figure": figure, "list_rows": rows, "equal": figure == rows})
            if len(compared) == FIGURES_CHECKED:
                break
        lists[key] = {"compared": len(compared), "all_equal": all(entry["equal"] for entry in compared)}
        unequal = [entry for entry in compared if not entry["equal"]]
        if unequal:
            lists[key]["unequal"] = unequal
    results["figure_equals_list"] = lists
    return results


def raw_baseline(facility_ids: list[int], requests_count: int) -> dict[str, Any]:
    """The plain SQL behind the main figures, on one connection, timed as the pages are: p50/p95 ms."""
    from django.db import connection

    today = date.today()
    since_90, since_365 = today - timedelta(days=89), today - timedelta(days=364)
    as_of = today.replace(day=1) - timedelta(days=1)
    statements = {
        "touchless_rate_90d": (
            "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM matching_invoiceexception e"
            " WHERE e.invoice_id = i.id)) FROM matching_invoice i WHERE i.facility_id = ANY(%(f)s)"
            " AND i.document_type = 'invoice' AND i.received_at >= %(since_90)s"
        ),
        "exceptions_by_code_week_90d": (
            "SELECT e.code, date_trunc('week', e.raised_at), count(*), count(e.resolved_at) FROM"
            " matching_invoiceexception e JOIN matching_invoice i ON i.id = e.invoice_id WHERE"
            " i.facility_id = ANY(%(f)s) AND e.raised_at >= %(since_90)s GROUP BY 1, 2"
        ),
        "open_items_by_queue_and_age": (
            "SELECT queue_id, width_bucket(extract(epoch FROM now() - opened_at) / 86400, ARRAY[1, 3, 7, 14, 30]),"
            " count(*), count(*) FILTER (WHERE due_at < now()) FROM matching_workitem"
            " WHERE state <> 'closed' AND facility_id = ANY(%(f)s) GROUP BY 1, 2"
        ),
        "cycle_received_to_paid_90d": (
            "SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY paid - received) FROM (SELECT"
            " min(history_date) AS received, min(history_date) FILTER (WHERE status = 'paid') AS paid"
            " FROM matching_historicalinvoice WHERE facility_id = ANY(%(f)s) AND received_at >= %(since_90)s"
            " GROUP BY id) AS steps WHERE paid IS NOT NULL"
        ),
        "vendor_governance_counts": (
            "SELECT (SELECT count(*) FROM vendors_changerequest WHERE status = 'pending'),"
            " (SELECT count(*) FROM vendors_duplicatecandidate WHERE status = 'open'),"
            " (SELECT count(*) FROM vendors_screeninghit WHERE status = 'open'),"
            " (SELECT count(*) FROM vendors_vendor WHERE status = 'active')"
        ),
        "accrual_as_of_month_end": (
            "SELECT po.facility_id, pl.cost_center_id, po.vendor_id, sum((r.qty - coalesce(b.qty, 0)) * pl.unit_price)"
            " FROM matching_purchaseorderline pl JOIN matching_purchaseorder po ON po.id = pl.purchase_order_id"
            " JOIN (SELECT rl.po_line_id, sum(rl.quantity) AS qty FROM matching_receiptline rl JOIN matching_receipt rc"
            " ON rc.id = rl.receipt_id WHERE rc.received_on <= %(as_of)s GROUP BY 1) r ON r.po_line_id = pl.id"
            " LEFT JOIN (SELECT m.po_line_id, sum(m.quantity) AS qty FROM matching_linematch m JOIN"
            " matching_invoiceline il ON il.id = m.invoice_line_id JOIN matching_invoice i ON i.id = il.invoice_id"
            " WHERE i.received_at::date <= %(as_of)s AND i.status NOT IN ('cancelled', 'rejected') GROUP BY 1) b"
            " ON b.po_line_id = pl.id WHERE po.facility_id = ANY(%(f)s) AND r.qty > coalesce(b.qty, 0)"
            " GROUP BY 1, 2, 3"
        ),
        "spend_by_vendor_365d": (
            "SELECT vendor_id, sum(CASE WHEN document_type = 'credit_memo' THEN -total_amount ELSE total_amount END)"
            " FROM matching_invoice WHERE facility_id = ANY(%(f)s) AND received_at >= %(since_365)s"
            " AND status IN ('approved', 'posted', 'paid') GROUP BY 1"
        ),
        "spend_by_category_month_365d": (
            "SELECT pl.category, date_trunc('month', i.received_at), sum(il.amount) FROM matching_invoiceline il"
            " JOIN matching_invoice i ON i.id = il.invoice_id JOIN matching_linematch m ON m.invoice_line_id = il.id"
            " JOIN matching_purchaseorderline pl ON pl.id = m.po_line_id WHERE i.facility_id = ANY(%(f)s)"
            " AND i.received_at >= %(since_365)s AND i.status IN ('approved', 'posted', 'paid') GROUP BY 1, 2"
        ),
        "evidence_bank_changes_90d": (
            "SELECT cr.id, count(cb.id) FROM vendors_changerequest cr LEFT JOIN vendors_callbackevidence cb"
            " ON cb.change_request_id = cr.id WHERE cr.kind = 'bank_account' AND cr.submitted_at >= %(since_90)s"
            " GROUP BY cr.id"
        ),
        "integration_health": (
            "SELECT (SELECT max(finished_at) FROM integrations_syncrun WHERE status IN ('succeeded', 'partial')),"
            " (SELECT count(*) FROM integrations_syncrun WHERE status = 'failed' AND started_at >= %(since_90)s),"
            " (SELECT count(*) FROM integrations_outboxdelivery WHERE status = 'pending'),"
            " (SELECT count(*) FROM integrations_deadletter WHERE status = 'open')"
        ),
    }
    parameters: dict[str, Any] = {"f": facility_ids, "since_90": since_90, "since_365": since_365, "as_of": as_of}
    results = {}
    with connection.cursor() as cursor:
        for name, statement in statements.items():

            def run(statement: str = statement) -> None:
                cursor.execute(statement, parameters)
                cursor.fetchall()

            samples = queue_pages.timed(run, min(requests_count, BASELINE_RUNS), warmup=1)
            values = queue_pages.percentiles(samples)
            results[name] = {"p50_ms": values["p50"], "p95_ms": values["p95"]}
    return results


def sign_in(base: str) -> queue_pages.Browser:
    """The reader signed in as a person is: password on /login/, then a code from their authenticator."""
    from django.db import connection
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    browser = queue_pages.Browser(base)
    browser.login(_dashboard_load.READER, _dashboard_load.PASSWORD)
    device = TOTPDevice.objects.get(user__username=_dashboard_load.READER)
    connection.close()
    clock = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page = browser.request("GET", "/account/two-factor/verify/")
    token = browser.csrf_from(page.text)
    response = browser.request(
        "POST", "/account/two-factor/verify/", data={"code": f"{clock.token():06d}", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/account/two-factor/verify/"},
    )  # fmt: skip
    if response.status_code != 302:
        raise RuntimeError(f"second factor refused: {response.status_code} {response.text[:500]}")
    return browser


def http_measure(base: str, pages: list[Page], requests_count: int) -> dict[str, Any]:
    """Every page through gunicorn as the reader: p50/p95 ms and the statuses seen."""
    browser = sign_in(base)
    results: dict[str, Any] = {}
    for page in pages:
        statuses: dict[int, int] = {}

        def get(path: str = page.path, statuses: dict[int, int] = statuses) -> None:
            status = browser.request("GET", path).status_code
            statuses[status] = statuses.get(status, 0) + 1

        values = queue_pages.percentiles(queue_pages.timed(get, requests_count, warmup=2))
        results[page.name] = {"p50_ms": values["p50"], "p95_ms": values["p95"], "statuses": statuses}
    return results


def main() -> None:
    """Load (or reuse), refresh the summaries, count queries and check figures in-process, time the SQL baseline,
    time the pages over HTTP; one JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30, help="Timed requests per page (and baseline query).")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--keep-database", action="store_true", help="Keep the benchmark database afterwards.")
    parser.add_argument("--reuse-database", action="store_true", help="Measure a kept database without loading.")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest queries (stderr).")
    parser.add_argument("--load-only", action="store_true", help="Load (and keep) the database, measure nothing.")
    parser.add_argument("--no-refresh", action="store_true", help="Measure the summaries a kept database holds.")
    options = parser.parse_args()

    database_setup(reuse=options.reuse_database)
    logging.disable(logging.WARNING)  # the in-process portal logs to stdout, where only the JSON line goes
    from django.db import connection

    from matching.models import Invoice
    from p2p_portal.models import Facility

    load_seconds, rows = None, {}
    if not options.reuse_database:
        world, load_seconds = _dashboard_load.load(invoices=options.invoices)
        rows = world.rows
        if options.load_only:
            print(json.dumps({"benchmark": "dashboard", "loaded": rows, "load_seconds": load_seconds}))
            return
    facility_ids = list(
        Facility.objects.filter(code__in=[code for code, _ in _queue_load.FACILITIES]).values_list("pk", flat=True)
    )
    refresh = {"skipped": "--no-refresh"} if options.no_refresh else refresh_summaries()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the summaries just written, as autovacuum would
    client = reader_client()
    pages, found = discover(client, date.today())
    counts = query_counts(client, pages, explain=options.explain)
    figure_checks = checks(found, client)
    baseline = raw_baseline(facility_ids, options.requests)
    connection.close()
    http: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as scratch:
        if pages:
            server = queue_pages.gunicorn_start(options.port, Path(scratch))
            try:
                http = http_measure(f"http://127.0.0.1:{options.port}", pages, options.requests)
            finally:
                server.terminate()
                server.wait(timeout=30)
            errors = (Path(scratch) / "gunicorn.log").read_text(errors="replace")
            if "Traceback" in errors:
                print(f"--- gunicorn errors (last 3000 characters)\n{errors[-3000:]}", file=sys.stderr)
    measured = {
        page.name: {**http[page.name], "queries": counts[page.name]["queries"]} for page in pages if page.name in http
    }
    # A page only meets the target if it answered: a redirect or an error page is fast and worthless.
    met = {
        name: values["p95_ms"] < TARGET_P95_MS and set(values["statuses"]) == {200} for name, values in measured.items()
    }
    print(
        json.dumps(
            {
                "benchmark": "dashboard",
                "database": connection.vendor,
                "invoices": Invoice.objects.count(),
                "load_seconds": load_seconds,
                "rows": rows,
                "requests_per_page": options.requests,
                "pages": measured,
                "missing": found["missing"],
                "says_freshness": found["freshness"],
                "refresh_seconds": refresh,
                "baseline_raw_sql_ms": baseline,
                "checks": figure_checks,
                "target_p95_ms": TARGET_P95_MS,
                "targets_met": {**met, "all_pages": bool(met) and all(met.values())},
            }
        )
    )
    if not (options.keep_database or options.reuse_database):
        connection.close()
        connection.creation.destroy_test_db(BENCH_DATABASE, verbosity=0)


if __name__ == "__main__":
    os.environ.setdefault("P2P_ENV", "test")
    main()
