"""One error tree for the whole service; each transport maps it to its own codes."""

from __future__ import annotations


class RecommenderError(Exception):
    """Base of every error the service raises on purpose."""


class InvalidArgumentError(RecommenderError):
    """The caller sent something that cannot be accepted (400 / INVALID_ARGUMENT)."""


class UnauthenticatedError(RecommenderError):
    """Missing or wrong admin token (401 / UNAUTHENTICATED)."""


class ForbiddenError(RecommenderError):
    """Admin call from a non-loopback peer while no token is configured."""


class NotFoundError(RecommenderError):
    """The named model, job or title does not exist."""


class ConflictError(RecommenderError):
    """The request contradicts the current state (409 / FAILED_PRECONDITION)."""


class TrainingAlreadyRunningError(ConflictError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"training job {job_id} is already running; wait for it or cancel it")
        self.job_id = job_id


class ArtifactError(ConflictError):
    """A model artifact is missing or fails its checksum."""


class UnavailableError(RecommenderError):
    """A dependency is down (503 / UNAVAILABLE)."""


class SourceUnavailableError(UnavailableError):
    """The source database cannot be read."""


class RegistryUnavailableError(UnavailableError):
    """The model registry cannot be read or written."""


class CacheUnavailableError(UnavailableError):
    """The cache is down; callers bypass it."""


class LeaseLostError(UnavailableError):
    """A trainer's term has ended: the registry refuses its writes, its training stops (section 10)."""

    def __init__(self, detail: str = "lost the trainer lease") -> None:
        super().__init__(detail)


class NoTrainerError(UnavailableError):
    """An immediate training while no live trainer holds the lease (503 / UNAVAILABLE)."""


class TrainingFailedError(RecommenderError):
    """A training produced no usable model (empty data, non-finite parameters...)."""


class JobCancelledError(RecommenderError):
    """A running job was cancelled between two epochs."""


MAX_DETAIL_CHARS = 500
"""An error's sentence as a transport sends it: a refused value quoted in it may be megabytes long
(and gRPC drops a call whose trailing metadata passes 16 KiB)."""


def brief(detail: str) -> str:
    if len(detail) <= MAX_DETAIL_CHARS:
        return detail
    return f"{detail[:MAX_DETAIL_CHARS]}... ({len(detail)} characters in all)"
