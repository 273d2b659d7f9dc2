"""`--state FILE`: the tenant is loaded at start and saved after changes and at exit.

Saves run on a background thread, at most once per DEBOUNCE seconds, so a burst of
writes costs one save; the file is replaced atomically so it is never half-written.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from emulator.server.state import Emulator
from emulator.tenant.model import Tenant

FORMAT_VERSION = 1
DEBOUNCE = 0.5


class StateFileError(ValueError):
    pass


def load_state(path: Path) -> tuple[str, Tenant] | None:
    """The seed and tenant saved in `path`, or None when there is no file yet."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("version") != FORMAT_VERSION:
            raise StateFileError(f"{path} has format version {data.get('version')!r}.")
        return str(data["seed"]), Tenant.from_json(data["tenant"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StateFileError(f"Cannot load the state file {path}: {error}") from error


class StateSaver:
    def __init__(self, path: Path, emulator: Emulator) -> None:
        self.path = path
        self.emulator = emulator
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)

    def start(self) -> None:
        self.emulator.on_change = self._dirty.set
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._dirty.set()
        self._thread.join(timeout=10)
        self.save()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._dirty.wait()
            if self._stopping.wait(DEBOUNCE):
                return
            self._dirty.clear()
            self.save()

    def save(self) -> None:
        with self.emulator.lock:
            document: dict[str, Any] = {
                "version": FORMAT_VERSION,
                "seed": self.emulator.seed,
                "tenant": self.emulator.tenant.to_json(),
            }
            text = json.dumps(document, ensure_ascii=False)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(text, "utf-8")
        os.replace(temporary, self.path)
