"""The messages replicas exchange on their Redis channel, as bytes.

One channel carries them all (one subscription per process): the cache's invalidations, which have
no origin since every process, the sender included, drops its near copies on them, and the
announcements of `ReplicaBroadcast`, which name their origin so that the sender ignores its own.

- `*`: every list invalidated; `u:<user>`: one user's lists invalidated;
- `a:<origin>:<model_id>`: a version was activated;
- `b:<origin>`: the admin blacklist changed;
- `j:<origin>`: a job was submitted or a cancel asked (the trainer looks at the job table now);
- `h:<origin>:<user>:<title>:<created_us>:<raw_score or empty>:<int_type>`: a hot event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.interaction import Interaction

INVALIDATE_ALL = b"*"
USER = b"u:"
ACTIVATED = b"a:"
BLACKLIST = b"b:"
HOT_EVENT = b"h:"
JOBS = b"j:"
ANNOUNCEMENTS = (ACTIVATED, BLACKLIST, HOT_EVENT, JOBS)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def invalidate_user_message(user_id: int) -> bytes:
    return USER + b"%d" % user_id


def activated_message(origin: str, model_id: str) -> bytes:
    return b"%s%s:%s" % (ACTIVATED, origin.encode(), model_id.encode())


def blacklist_message(origin: str) -> bytes:
    return BLACKLIST + origin.encode()


def jobs_message(origin: str) -> bytes:
    return JOBS + origin.encode()


def hot_event_message(origin: str, event: Interaction) -> bytes:
    moment = event.created_at if event.created_at.tzinfo else event.created_at.replace(tzinfo=UTC)
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    score = "" if event.raw_score is None else repr(float(event.raw_score))
    text = f"{origin}:{event.user_id}:{event.title_id}:{micros}:{score}:{event.int_type}"
    return HOT_EVENT + text.encode()


@dataclass(frozen=True, slots=True)
class Announcement:
    """A decoded announcement: its kind (one of ANNOUNCEMENTS), origin and what it carries."""

    kind: bytes
    origin: str
    model_id: str = ""
    event: Interaction | None = None


def decode_announcement(payload: bytes) -> Announcement | None:
    """The announcement in `payload`; None for an invalidation or anything malformed."""
    kind, body = payload[:2], payload[2:]
    try:
        text = body.decode()
        if kind == ACTIVATED:
            origin, model_id = text.split(":", 1)
            return Announcement(kind, origin, model_id=model_id) if model_id else None
        if kind in (BLACKLIST, JOBS):
            return Announcement(kind, text)
        if kind == HOT_EVENT:
            origin, user, title, micros, score, int_type = text.split(":", 5)
            created = _EPOCH + timedelta(microseconds=int(micros))
            raw = float(score) if score else None
            user_id, title_id = int(user), int(title)
            if not (0 < user_id < 2**63 and 0 < title_id < 2**63 and int_type):
                return None
            event = Interaction(user_id, title_id, int_type, raw, created)
            return Announcement(kind, origin, event=event)
    except (UnicodeDecodeError, ValueError, OverflowError):
        return None
    return None
