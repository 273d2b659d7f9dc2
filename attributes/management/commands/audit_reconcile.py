from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from attributes.reconcile import reconcile_pending


class Command(BaseCommand):
    help = (
        "Settles audit records left pending by a process that stopped mid-change, by "
        "re-reading Graph with the actor's sign-in (unknown when that is impossible)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=120,
            help="Only records pending for at least this many seconds (default 120), so "
            "changes still in flight are left alone.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tally = reconcile_pending(older_than=timedelta(seconds=options["older_than"]))
        settled = sum(tally.values())
        if not settled:
            self.stdout.write("No pending audit records to settle.")
            return
        parts = ", ".join(f"{count} {outcome}" for outcome, count in tally.items() if count)
        self.stdout.write(self.style.SUCCESS(f"Settled {settled} pending audit records: {parts}."))
