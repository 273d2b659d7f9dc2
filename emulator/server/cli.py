"""`python -m emulator`: start both servers and serve until interrupted or terminated."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emulator.graph.quota import QuotaConfig, QuotaConfigError
from emulator.server.faults import DEFAULT_STALL_MS
from emulator.server.front_doors import ApiApp, BrowserApp
from emulator.server.http_server import AppServer
from emulator.server.pki import SigningKey, load_or_create_ca, server_ssl_context
from emulator.server.state import Emulator, Urls
from emulator.server.statefile import StateFileError, StateSaver, load_state
from emulator.tenant import demo
from emulator.tenant.seed import SeedError, parse_seed

DEFAULT_CA_DIR = Path("var/emulator")
SHUTDOWN_POLL = 0.1  # seconds; how quickly serve_forever notices a shutdown request


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="A local stand-in for Entra ID sign-in and the Microsoft Graph custom "
        "security attribute API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="HTTPS API port; 0 = any free port")
    parser.add_argument(
        "--browser-port", type=int, default=8001, help="plain-HTTP sign-in port; 0 = any free port"
    )
    parser.add_argument(
        "--seed", default="demo", help="'demo' or 'large:N' (N objects of every kind)"
    )
    parser.add_argument("--state", type=Path, help="JSON file: loaded at start, saved on change")
    parser.add_argument(
        "--ca-dir", type=Path, default=DEFAULT_CA_DIR, help="where ca.pem is written and reused"
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="delay every Graph request")
    parser.add_argument("--fault-rate-429", type=float, default=0.0, help="share of Graph 429s")
    parser.add_argument("--fault-rate-5xx", type=float, default=0.0, help="share of Graph 5xx")
    parser.add_argument(
        "--fault-rate-stall", type=float, default=0.0, help="share of requests that stall"
    )
    parser.add_argument(
        "--stall-ms", type=int, default=DEFAULT_STALL_MS, help="how long a stall lasts"
    )
    parser.add_argument(
        "--fault-rate-drop", type=float, default=0.0, help="share of connections dropped"
    )
    parser.add_argument(
        "--write-quota",
        type=_write_quota,
        default=QuotaConfig(),
        metavar="N/SECONDS",
        help="writes per app and tenant, e.g. 3000/150 (the default), or 'off'",
    )
    parser.add_argument(
        "--index-lag", type=float, default=0.0, help="seconds $filter on values trails writes"
    )
    parser.add_argument(
        "--demo-password", default=demo.DEMO_PASSWORD, help="password of every user"
    )
    parser.add_argument("--ready-file", type=Path, help="write URLs here as JSON once serving")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    try:
        parse_seed(args.seed)
    except SeedError as error:
        parser.error(str(error))
    if args.index_lag < 0:
        parser.error("--index-lag must be 0 or more seconds.")
    return args


def _write_quota(text: str) -> QuotaConfig | None:
    if text.lower() == "off":
        return None
    limit, _, window = text.partition("/")
    try:
        return QuotaConfig.parse({"limit": int(limit), "window_seconds": float(window or 150)})
    except (ValueError, QuotaConfigError) as error:
        raise argparse.ArgumentTypeError(f"expected N/SECONDS or 'off': {error}") from error


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    ca = load_or_create_ca(args.ca_dir)
    api_server = AppServer(
        args.host, args.port, ssl_context=server_ssl_context(ca), verbose=args.verbose
    )
    browser_server = AppServer(args.host, args.browser_port, verbose=args.verbose)
    emulator = Emulator(
        urls=Urls(api_server.port, browser_server.port),
        seed=args.seed,
        signing_key=SigningKey.generate(),
        ca_path=ca.path.resolve(),
        demo_password=args.demo_password,
        baseline_faults={
            "latency_ms": args.latency_ms,
            "fault_rate_429": args.fault_rate_429,
            "fault_rate_5xx": args.fault_rate_5xx,
            "fault_rate_stall": args.fault_rate_stall,
            "stall_ms": args.stall_ms,
            "fault_rate_drop": args.fault_rate_drop,
        },
        baseline_quota=args.write_quota,
        baseline_index_lag=args.index_lag,
    )
    saver = _state_saver(args.state, emulator)
    api_server.app = ApiApp(emulator)
    browser_server.app = BrowserApp(emulator)
    for server in (api_server, browser_server):
        threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL},
            name=f"serve-{server.port}",
            daemon=True,
        ).start()
    _announce(emulator, args.ready_file)
    _wait_for_stop()
    for server in (api_server, browser_server):
        server.shutdown()
        server.server_close()
    if saver is not None:
        saver.stop()
    if args.ready_file is not None:
        args.ready_file.unlink(missing_ok=True)
    return 0


def _state_saver(path: Path | None, emulator: Emulator) -> StateSaver | None:
    if path is None:
        return None
    try:
        loaded = load_state(path)
    except StateFileError as error:
        sys.exit(str(error))
    if loaded is not None:
        emulator.load_tenant(*loaded)
    saver = StateSaver(path, emulator)
    saver.start()
    return saver


def ready_document(emulator: Emulator) -> dict[str, Any]:
    urls = emulator.urls
    return {
        "authority": urls.authority,
        "issuer": urls.issuer,
        "graph_url": urls.graph_url,
        "graph_root": urls.graph_root,
        "browser_url": urls.browser_base,
        "control_url": urls.control_url,
        "ca_path": str(emulator.ca_path),
        "tenant_id": demo.TENANT_ID,
        "https_port": urls.https_port,
        "browser_port": urls.browser_port,
        "pid": os.getpid(),
    }


def _announce(emulator: Emulator, ready_file: Path | None) -> None:
    urls = emulator.urls
    print(
        "Entra/Graph emulator is running\n"
        f"  authority:      {urls.authority}\n"
        f"  Graph base URL: {urls.graph_root}   (v1.0 and beta below it)\n"
        f"  CA certificate: {emulator.ca_path}\n"
        f"  sign-in pages:  {urls.browser_base}\n"
        f"  control:        {urls.control_url}/",
        flush=True,
    )
    if ready_file is not None:
        temporary = ready_file.with_name(f".{ready_file.name}.tmp")
        temporary.write_text(json.dumps(ready_document(emulator), indent=2), "utf-8")
        os.replace(temporary, ready_file)


def _wait_for_stop() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
