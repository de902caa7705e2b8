"""URLs of the integrations console."""

from django.urls import path

from integrations.views import dead_letters, outbox, overview, runs

app_name = "integrations"

urlpatterns = [
    path("", overview.index, name="index"),
    path("systems/<slug:code>/run/", runs.run_now, name="run_now"),
    path("runs/", runs.run_list, name="runs"),
    path("runs/<int:pk>/", runs.run_detail, name="run"),
    path("outbox/", outbox.delivery_list, name="outbox"),
    path("dead-letters/", dead_letters.letter_list, name="letters"),
    path("dead-letters/replay/", dead_letters.letter_replay_many, name="letters_replay"),
    path("dead-letters/<int:pk>/", dead_letters.letter_detail, name="letter"),
    path("dead-letters/<int:pk>/replay/", dead_letters.letter_replay, name="letter_replay"),
    path("dead-letters/<int:pk>/discard/", dead_letters.letter_discard, name="letter_discard"),
]
