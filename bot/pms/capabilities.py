"""What each PMS connector can do, each claim naming the test that proves it (`tests/file.py::test[param]`).

Every connector module declares `CAPABILITIES` (capability -> test id); README's connector table is rendered from
them and tests/test_capabilities.py keeps the two in step and checks each named test exists: adding a cell is
one line in the connector's module (and the README row the test prints).
"""

from __future__ import annotations

from collections.abc import Mapping

# The table's columns, in order: capability -> its heading.
NAMES = {"read": "read tasks", "progress": "write progress", "hours": "log hours",
         "comment": "comment", "attachments": "attachments", "webhooks": "webhooks",
         "per_person": "writes as the person"}
CONFORMANCE = "tests/test_pms_conformance.py"
START, END = "<!-- connectors:start -->", "<!-- connectors:end -->"


def conformance(backend: str, **more: str) -> dict[str, str]:
    """The claims the conformance suite proves for a backend of tests/pms_backends.py, plus `more`."""
    return {"read": f"{CONFORMANCE}::test_status_reads_the_task_as_the_pms_holds_it[{backend}]",
            "progress": f"{CONFORMANCE}::test_report_progress_sets_percent_adds_hours_starts_the_task_and_names_the_"
                        f"reporter[{backend}]",
            "hours": f"{CONFORMANCE}::test_log_hours_adds_to_time_spent[{backend}]",
            "comment": f"{CONFORMANCE}::test_comment_is_kept_in_the_pms[{backend}]", **more}


def table(by_pms: Mapping[str, tuple[str, Mapping[str, str]]]) -> str:
    """The README table: one row per PMS (display name, claims), ✓ where a test proves it, – where not."""
    lines = ["| PMS | " + " | ".join(NAMES.values()) + " |", "| --- |" + " --- |" * len(NAMES)]
    for display, claims in by_pms.values():
        lines.append(f"| {display} | " + " | ".join("✓" if name in claims else "–" for name in NAMES) + " |")
    return "\n".join(lines)
