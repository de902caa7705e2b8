"""Fault injection switches and the counters that show what the sandbox did."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

RATE_SWITCHES = ("error_rate", "rate_limit_rate", "reset_rate", "malformed_rate")


@dataclass
class FaultSwitches:
    """Per-request faults (latency, 5xx, 429, connection reset) and per-record ones (malformed)."""

    latency_ms: int = 0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    reset_rate: float = 0.0
    malformed_rate: float = 0.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        for name in RATE_SWITCHES:
            if not 0.0 <= float(getattr(self, name)) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.error_rate + self.rate_limit_rate + self.reset_rate > 1.0 + 1e-9:
            raise ValueError("error_rate + rate_limit_rate + reset_rate must not exceed 1")
        if not 0 <= self.latency_ms <= 60_000:
            raise ValueError("latency_ms must be between 0 and 60000")
        if not 0 <= self.retry_after <= 3600:
            raise ValueError("retry_after must be between 0 and 3600 seconds")

    def updated(self, changes: dict[str, Any]) -> FaultSwitches:
        """A validated copy with `changes` applied; unknown names or wrong types raise ValueError."""
        known = {f.name: f.type for f in fields(self)}
        values = asdict(self)
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown switch {name!r}; known: {', '.join(sorted(known))}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            if name in ("latency_ms", "retry_after"):
                if value != int(value):
                    raise ValueError(f"{name} must be a whole number")
                value = int(value)
            values[name] = float(value) if name in RATE_SWITCHES else value
        return FaultSwitches(**values)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestFault:
    NONE = "none"
    ERROR = "error"
    RATE_LIMITED = "rate_limited"
    RESET = "reset"


def draw_fault(switches: FaultSwitches, rng: random.Random) -> str:
    """One draw decides the request's fate, so the rates are exact shares and never overlap."""
    roll = rng.random()
    if roll < switches.reset_rate:
        return RequestFault.RESET
    roll -= switches.reset_rate
    if roll < switches.error_rate:
        return RequestFault.ERROR
    roll -= switches.error_rate
    if roll < switches.rate_limit_rate:
        return RequestFault.RATE_LIMITED
    return RequestFault.NONE


class Counters:
    """Requests served and faults injected since start (or the last reset), safe across handler threads."""

    FAULT_NAMES = ("latency", "error", "rate_limited", "reset", "malformed_records")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.by_status: dict[str, int] = {}
            self.faults = dict.fromkeys(self.FAULT_NAMES, 0)
            self.records_served = 0

    def request(self, status: int | None) -> None:
        """Count one request; `status` None is a dropped connection."""
        key = "reset" if status is None else str(status)
        with self._lock:
            self.requests += 1
            self.by_status[key] = self.by_status.get(key, 0) + 1

    def fault(self, name: str, count: int = 1) -> None:
        with self._lock:
            self.faults[name] += count

    def served(self, count: int) -> None:
        with self._lock:
            self.records_served += count

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "by_status": dict(self.by_status),
                "faults": dict(self.faults),
                "records_served": self.records_served,
            }
