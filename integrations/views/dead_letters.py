"""Dead letters: the list (tick many to replay), one letter with its payload and error, replay and discard."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from integrations import selectors
from integrations.forms import DeadLetterFilterForm, DiscardForm, ReplayManyForm
from integrations.models import DeadLetter, DeadLetterStatus
from integrations.services.dead_letters import dead_letter_discard, dead_letter_replay
from integrations.views._common import page_of, require_operator, require_reader
from p2p_portal.errors import ApplicationError

REPLAY_MANY_LIMIT = 200


@dataclass(frozen=True)
class ReplayOutcome:
    """What one replay of many did."""

    letter: DeadLetter
    ok: bool
    message: str


def _replayed(user: object, letter: DeadLetter) -> ReplayOutcome:
    """Replay one letter and say what became of it (a letter that fails again stays open with the new error)."""
    try:
        replayed = dead_letter_replay(actor=user, dead_letter=letter)
    except ApplicationError as error:
        return ReplayOutcome(letter, False, f"not replayed: {error.message}")
    if replayed.status == DeadLetterStatus.OPEN:
        return ReplayOutcome(replayed, False, f"failed again, still open: {replayed.error}")
    return ReplayOutcome(replayed, True, replayed.resolution or "replayed")


def _list_context(request: HttpRequest, user: object) -> dict[str, object]:
    """The list page's context (also after a replay of many, to show the outcome above it)."""
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = DeadLetterStatus.OPEN  # what needs a person, unless they ask for another status
    form = DeadLetterFilterForm(data)
    filters = form.values()
    page = page_of(request, selectors.dead_letter_list(principal=user, **filters))
    return {"form": form, "filters": filters, "page": page, "operates": selectors.may_operate(user)}


@require_GET
@login_required
def letter_list(request: HttpRequest) -> HttpResponse:
    """Dead letters, newest first (open ones by default); htmx refreshes the results only."""
    user = require_reader(request)
    context = _list_context(request, user)
    template = "integrations/_letter_results.html" if getattr(request, "htmx", False) else "integrations/letters.html"
    return render(request, template, context)


@require_GET
@login_required
def letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One dead letter: its payload (pretty, escaped by the template), error, attempts and what became of it."""
    user = require_reader(request)
    letter = selectors.dead_letter_get(principal=user, pk=pk)
    context = {
        "letter": letter,
        "payload": json.dumps(letter.payload, indent=2, sort_keys=True, ensure_ascii=False),
        "operates": selectors.may_operate(user) and letter.status == DeadLetterStatus.OPEN,
        "discard_form": DiscardForm(),
    }
    return render(request, "integrations/letter.html", context)


@require_POST
@login_required
def letter_replay(request: HttpRequest, pk: int) -> HttpResponse:
    """Replay one dead letter (after its cause was fixed); audited by the service."""
    user = require_operator(request)
    letter = selectors.dead_letter_get(principal=user, pk=pk)
    outcome = _replayed(user, letter)
    (messages.success if outcome.ok else messages.error)(request, f"Dead letter {letter.pk}: {outcome.message}")
    return redirect("integrations:letter", pk=letter.pk)


@require_POST
@login_required
def letter_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Discard one dead letter with a reason (kept on the letter and in its history)."""
    user = require_operator(request)
    letter = selectors.dead_letter_get(principal=user, pk=pk)
    form = DiscardForm(request.POST)
    if form.is_valid():
        try:
            dead_letter_discard(actor=user, dead_letter=letter, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            messages.error(request, f"Dead letter {letter.pk} was not discarded: {error.message}")
        else:
            messages.success(request, f"Dead letter {letter.pk} discarded.")
        return redirect("integrations:letter", pk=letter.pk)
    context = {
        "letter": letter,
        "payload": json.dumps(letter.payload, indent=2, sort_keys=True, ensure_ascii=False),
        "operates": letter.status == DeadLetterStatus.OPEN,
        "discard_form": form,
    }
    return render(request, "integrations/letter.html", context, status=422)


@require_POST
@login_required
def letter_replay_many(request: HttpRequest) -> HttpResponse:
    """Replay the ticked dead letters one by one; each gets its own outcome (one failure does not stop the rest)."""
    user = require_operator(request)
    wanted = [int(value) for value in request.POST.getlist("letters") if value.isdigit()][:REPLAY_MANY_LIMIT]
    letters = {letter.pk: letter for letter in selectors.dead_letter_list(principal=user).filter(pk__in=wanted)}
    form = ReplayManyForm(request.POST, letter_ids=list(letters))
    if not form.is_valid():
        messages.error(request, "Tick at least one dead letter to replay.")
        return redirect(reverse("integrations:letters"))
    outcomes = [_replayed(user, letters[pk]) for pk in form.cleaned_data["letters"]]
    context = {**_list_context(request, user), "outcomes": outcomes}
    return render(request, "integrations/letters.html", context)
