#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # After `make demo` or `make serve`, a command in a new shell runs with the environment
    # they used (var/portal.env; portal.envfile says when).
    from portal.envfile import name_the_demos_file

    name_the_demos_file(Path(__file__).resolve().parent)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
