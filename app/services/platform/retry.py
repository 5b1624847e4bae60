"""How long a failed attempt waits before the next: doubling from a base, up to a cap
(provisioning requests, bill emails)."""

from datetime import timedelta


def backoff(attempts: int, base: float, cap: float) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1: the base)."""
    return timedelta(seconds=min(base * 2 ** (attempts - 1), cap))
