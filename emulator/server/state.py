"""The emulator's shared state and the one lock that guards it.

Handlers on both servers run while holding `Emulator.lock`; it guards the tenant, the
tokens, the faults, the request and write logs, the write quota, the filter index and
the settings together, so every request sees and leaves a consistent state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.graph.context import QueryCache
from emulator.graph.index import FilterIndex
from emulator.graph.quota import QuotaConfig, WriteQuota
from emulator.identity.tokens import TokenService
from emulator.server.clock import Clock
from emulator.server.faults import FaultInjector
from emulator.server.pki import SigningKey
from emulator.server.requestlog import RequestLog
from emulator.server.switches import RuntimeSettings
from emulator.server.writelog import WriteLog
from emulator.tenant import demo
from emulator.tenant.model import Tenant
from emulator.tenant.seed import build_tenant

HOST_NAME = "localhost"  # what URLs say, whatever interface the servers bind


@dataclass(frozen=True, slots=True)
class Urls:
    https_port: int
    browser_port: int

    @property
    def api_base(self) -> str:
        return f"https://{HOST_NAME}:{self.https_port}"

    @property
    def browser_base(self) -> str:
        return f"http://{HOST_NAME}:{self.browser_port}"

    @property
    def authority(self) -> str:
        return f"{self.api_base}/{demo.TENANT_ID}"

    @property
    def issuer(self) -> str:
        return f"{self.authority}/v2.0"

    @property
    def graph_root(self) -> str:
        return f"{self.api_base}/graph"

    @property
    def graph_url(self) -> str:
        return f"{self.graph_root}/v1.0"

    @property
    def control_url(self) -> str:
        return f"{self.browser_base}/_emulator"


@dataclass
class Emulator:
    urls: Urls
    seed: str
    signing_key: SigningKey
    ca_path: Path
    demo_password: str = demo.DEMO_PASSWORD
    baseline_faults: dict[str, Any] = field(default_factory=dict)
    baseline_quota: QuotaConfig | None = field(default_factory=QuotaConfig)
    baseline_index_lag: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock)
    log: RequestLog = field(default_factory=RequestLog)
    faults: FaultInjector = field(default_factory=FaultInjector)
    settings: RuntimeSettings = field(default_factory=RuntimeSettings)
    query_cache: QueryCache = field(default_factory=QueryCache)
    writes: WriteLog = field(default_factory=WriteLog)
    clock: Clock = field(default_factory=Clock)
    on_change: Callable[[], None] | None = None
    tenant: Tenant = field(init=False)
    tokens: TokenService = field(init=False)
    quota: WriteQuota = field(init=False)
    index: FilterIndex = field(init=False)
    start_seed: str = field(init=False)
    _pristine: dict[str, Tenant] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.start_seed = self.seed
        self.tokens = TokenService(self.signing_key, self.urls.issuer)
        self.quota = WriteQuota(self.clock, self.baseline_quota)
        self.index = FilterIndex(self.clock, self.baseline_index_lag)
        self.tenant = self._pristine_tenant(self.seed).clone()
        self.faults.configure(self.baseline_faults)

    def _pristine_tenant(self, seed: str) -> Tenant:
        if seed not in self._pristine:
            self._pristine[seed] = build_tenant(seed)
        return self._pristine[seed]

    def load_tenant(self, seed: str, tenant: Tenant) -> None:
        """Replace the tenant with one saved from `seed` (the state file)."""
        with self.lock:
            self.seed = self.start_seed = seed
            self.tenant = tenant
            self.query_cache.clear()
            self.index.reset(self.baseline_index_lag)

    def reset(self, seed: str | None = None) -> None:
        """Back to a pristine seed, with faults, logs, counters, revocations and settings
        cleared, and the write quota (full buckets) and the filter index's lag as the command
        line set them (Graph's 3,000 writes per 150 s and no lag by default). Without a seed it is the one the process started with, so a test that
        switched to a large tenant cannot leave it behind for the next one. Issued tokens
        stay valid, so a signed-in client keeps working."""
        seed = seed or self.start_seed
        with self.lock:
            pristine = self._pristine_tenant(seed)  # fails before anything changes
            self.seed = seed
            self.tenant = pristine.clone()
            self.faults.configure(self.baseline_faults)
            self.log.clear()
            self.writes.clear()
            self.tokens.reset()
            self.settings = RuntimeSettings()
            self.query_cache.clear()
            self.quota.configure(self.baseline_quota)
            self.index.reset(self.baseline_index_lag)
        self.changed()

    def changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
