from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from attributes.models import Outcome
from attributes.reconcile import DEFAULT_BUDGET, reconcile_pending


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
            "changes still in flight on running instances are left alone. 0 settles "
            "everything, which is only safe while no instance of the portal is running.",
        )
        parser.add_argument(
            "--budget-seconds",
            type=float,
            default=DEFAULT_BUDGET.total_seconds(),
            help=f"Stop after this many seconds (default {DEFAULT_BUDGET.total_seconds():g}) "
            "and leave the rest pending for the next run.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tally = reconcile_pending(
            older_than=timedelta(seconds=options["older_than"]),
            budget=timedelta(seconds=options["budget_seconds"]),
        )
        left = tally.pop(Outcome.PENDING)
        settled = sum(tally.values())
        if settled:
            parts = ", ".join(f"{count} {outcome}" for outcome, count in tally.items() if count)
            self.stdout.write(
                self.style.SUCCESS(f"Settled {settled} pending audit records: {parts}.")
            )
        if left:
            self.stdout.write(
                self.style.WARNING(
                    f"Out of time after {options['budget_seconds']:g} s: {left} pending audit "
                    f"{'record was' if left == 1 else 'records were'} left for the next run."
                )
            )
        if not settled and not left:
            self.stdout.write("No pending audit records to settle.")
