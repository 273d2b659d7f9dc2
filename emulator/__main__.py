"""Entry point: `python -m emulator --help`."""

from __future__ import annotations

import sys

from emulator.server.cli import main

sys.exit(main())
