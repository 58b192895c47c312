"""A small source for the dashboard's browser tests: trains in seconds, and one title is named with
hostile markup (titles come from the site's database)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.contract.source_data import Event, fill_source

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_TITLE = 7
N_TITLES = 60
N_USERS = 80
GENRES = ("Action", "Drama", "Comedy", "Horror")


def title_name(title_id: int) -> str:
    return HOSTILE if title_id == HOSTILE_TITLE else f"Title {title_id}"


async def write_dashboard_source(path: Path, seed: int = 3) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    titles = [(t, title_name(t), t != N_TITLES) for t in range(1, N_TITLES + 1)]
    genre_of = {t: GENRES[t % len(GENRES)] for t in range(1, N_TITLES + 1)}
    events: list[Event] = []
    for user in range(1, N_USERS + 1):
        liked = GENRES[user % len(GENRES)]
        pool = [t for t in range(1, N_TITLES) if genre_of[t] == liked] + rng.sample(range(1, N_TITLES), 8)
        chosen = set(rng.sample(pool, 10))
        if user <= 5:  # users 1..5 touched the hostile title: their history shows its name
            chosen.add(HOSTILE_TITLE)
        for title in sorted(chosen):
            kind = rng.choice(("view", "bookmark", "rating"))
            score = float(rng.randint(3, 5)) if kind == "rating" else None
            events.append((user, title, kind, score, now - timedelta(hours=rng.randint(1, 480))))
    await fill_source(
        f"sqlite+aiosqlite:///{path}",
        titles,
        events,
        blacklisted=[(N_TITLES - 1, "source takedown")],
        user_ids=range(1, N_USERS + 1),
        title_feature_rows=[(t, f"genre:{g}", 1.0) for t, g in genre_of.items()],
        user_feature_rows=[(u, f"age:{u % 3}", 1.0) for u in range(1, N_USERS + 1)],
    )
