"""The simulator's GL side: GL_INTERFACE, Journal Import requests and the journals they create.

It behaves as the XX_TIEOUT_WRITE procedures of docs/oracle-ebs.md do on a real
instance: rows land in GL_INTERFACE with STATUS ``NEW`` and the reference in
REFERENCE30 (also leading the line description, REFERENCE10); SUBMIT_JOURNAL_IMPORT submits GLLEZL for the group and answers the request
id; the concurrent request moves PENDING → RUNNING → COMPLETE/NORMAL, one step per
status read (so tests see every phase without waiting on a clock); on completion the
rows become GL_JE_LINES (REFERENCE30 → REFERENCE_10, REFERENCE10 → DESCRIPTION) and leave the interface, and the
cost shows in GET_ACTUALS as the GET_ACTUALS query of the docs makes it show.
"""

from __future__ import annotations

import calendar
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from adapters.oracle_ebs.wire import amount_text, table_rows


def _period_name(accounting_date: str) -> str:
    """The GL period an accounting date falls in, named as a monthly calendar names it (``JAN-25``)."""
    day = date.fromisoformat(accounting_date[:10])
    return f"{calendar.month_abbr[day.month].upper()}-{day.year % 100:02d}"


class ProcedureFailed(Exception):
    """Becomes ``X_RETURN_STATUS = E`` with this text as ``X_MSG_DATA``."""


@dataclass
class Request:
    request_id: int
    group_id: int
    steps: list[tuple[str, str]] = field(
        default_factory=lambda: [("PENDING", "NORMAL"), ("RUNNING", "NORMAL"), ("COMPLETE", "NORMAL")]
    )
    polls: int = 0

    @property
    def phase(self) -> tuple[str, str]:
        return self.steps[min(self.polls, len(self.steps) - 1)]


_USER_PHASE = {"PENDING": "Pending", "RUNNING": "Running", "COMPLETE": "Completed", "INACTIVE": "Inactive"}


class GeneralLedger:
    """GL_INTERFACE, FND_CONCURRENT_REQUESTS (GLLEZL only) and GL_JE_LINES of one simulated ledger."""

    def __init__(
        self,
        ledger_id: str,
        actuals: list[dict[str, Any]],
        projects: list[dict[str, Any]],
        ccid_of: Callable[[dict[str, Any]], str],
    ) -> None:
        self.ledger_id = ledger_id
        self._ccid_of = ccid_of  # Journal Import derives the combination from the segments
        self.interface: list[dict[str, Any]] = []
        self.requests: dict[int, Request] = {}
        self.je_lines: list[dict[str, Any]] = []
        self.inserts = 0  # INSERT_GL_INTERFACE calls that inserted rows
        self.submits = 0
        self._actuals = actuals
        self._projects = projects
        self._group = 90000
        self._request = 7_300_000
        self._header = 41000
        self._lock = threading.RLock()

    # -- XX_TIEOUT_WRITE.INSERT_GL_INTERFACE -----------------------------------------
    def insert(self, p: dict[str, Any], segments: list[str]) -> dict[str, Any]:
        reference = str(p.get("P_REFERENCE") or "")
        if not reference:
            raise ProcedureFailed("P_REFERENCE is required (it goes to REFERENCE30).")
        if str(p.get("P_LEDGER_ID") or "") != self.ledger_id:
            raise ProcedureFailed(f"Ledger {p.get('P_LEDGER_ID')} is not accessible to this responsibility.")
        try:
            lines = table_rows(p.get("P_LINES"), "P_LINES_ITEM")
            dr = sum((Decimal(str(ln.get("ENTERED_DR") or "0")) for ln in lines), Decimal(0))
            cr = sum((Decimal(str(ln.get("ENTERED_CR") or "0")) for ln in lines), Decimal(0))
        except (ValueError, ArithmeticError):
            raise ProcedureFailed("P_LINES is not a list of journal lines with decimal amounts.") from None
        if not lines:
            raise ProcedureFailed("P_LINES holds no journal line.")
        if dr != cr:
            raise ProcedureFailed(f"The journal does not balance: debits {dr} and credits {cr}.")
        with self._lock:
            if any(r["REFERENCE30"] == reference for r in self.interface) or any(
                j["REFERENCE_10"] == reference for j in self.je_lines
            ):
                # The primary key of XX_TIEOUT_JOURNAL_REFS (docs) refuses a second insert.
                raise ProcedureFailed(
                    f"Reference {reference} is already in GL_INTERFACE or GL_JE_LINES (XX_TIEOUT_JOURNAL_REFS)."
                )
            self._group += 1
            for n, ln in enumerate(lines, start=1):
                row = {
                    "STATUS": "NEW",
                    "LEDGER_ID": self.ledger_id,
                    "GROUP_ID": str(self._group),
                    "USER_JE_SOURCE_NAME": str(p.get("P_JE_SOURCE") or ""),
                    "USER_JE_CATEGORY_NAME": str(p.get("P_JE_CATEGORY") or ""),
                    "ACCOUNTING_DATE": str(p.get("P_ACCOUNTING_DATE") or ""),
                    "CURRENCY_CODE": str(p.get("P_CURRENCY_CODE") or ""),
                    "ACTUAL_FLAG": "A",
                    "REFERENCE10": f"{reference} {ln.get('DESCRIPTION') or ''}".strip()[:240],
                    "REFERENCE30": reference,
                    "LINE_NUM": n,
                    "ENTERED_DR": str(ln.get("ENTERED_DR") or ""),
                    "ENTERED_CR": str(ln.get("ENTERED_CR") or ""),
                    "ATTRIBUTE1": str(ln.get("PROJECT_NUMBER") or ""),
                    "ATTRIBUTE2": str(ln.get("TASK_NUMBER") or ""),
                    **{col: str(ln.get(col) or "") for col in segments},
                    "REQUEST_ID": "",
                }
                self.interface.append(row)
            self.inserts += 1
            return {"X_GROUP_ID": str(self._group), "X_ROWS_INSERTED": str(len(lines))}

    # -- XX_TIEOUT_WRITE.SUBMIT_JOURNAL_IMPORT -----------------------------------------
    def submit(self, p: dict[str, Any]) -> dict[str, Any]:
        group = str(p.get("P_GROUP_ID") or "")
        with self._lock:
            rows = [r for r in self.interface if r["GROUP_ID"] == group and r["STATUS"] == "NEW"]
            if not rows:
                raise ProcedureFailed(f"GL_INTERFACE holds no NEW row of group {group}.")
            pending = [r for r in rows if r["REQUEST_ID"]]
            if pending:
                return {"X_REQUEST_ID": pending[0]["REQUEST_ID"]}  # already submitted: never twice
            self._request += 1
            self.requests[self._request] = Request(self._request, int(group))
            for r in rows:
                r["REQUEST_ID"] = str(self._request)
            self.submits += 1
            return {"X_REQUEST_ID": str(self._request)}

    # -- XX_TIEOUT_WRITE.GET_REQUEST_STATUS --------------------------------------------
    def status(self, p: dict[str, Any]) -> dict[str, Any]:
        try:
            req = self.requests[int(str(p.get("P_REQUEST_ID") or ""))]
        except (KeyError, ValueError):
            raise ProcedureFailed(f"Concurrent request {p.get('P_REQUEST_ID')} does not exist.") from None
        with self._lock:
            phase, status = req.phase
            req.polls += 1
            if phase == "COMPLETE" and status == "NORMAL":
                self._import(req)
        return {
            "X_PHASE": _USER_PHASE.get(phase, phase.title()),
            "X_STATUS": status.title(),
            "X_DEV_PHASE": phase,
            "X_DEV_STATUS": status,
            "X_MESSAGE": "Normal completion" if phase == "COMPLETE" else "",
        }

    def _import(self, req: Request) -> None:
        """Journal Import of one group: interface rows become one journal's lines."""
        rows = [r for r in self.interface if r["GROUP_ID"] == str(req.group_id) and r["STATUS"] == "NEW"]
        if not rows:
            return
        if any(not self._ccid_of(r) for r in rows):
            # No such code combination (dynamic insertion off): Journal Import rejects the whole
            # group with a flexfield error and leaves it in GL_INTERFACE for someone to correct.
            for r in rows:
                r["STATUS"] = "EF04" if not self._ccid_of(r) else "EF00"
            return
        self._header += 1
        for r in rows:
            self.je_lines.append(
                {
                    "JE_HEADER_ID": str(self._header),
                    "JE_BATCH_ID": str(self._header + 500000),
                    "JE_LINE_NUM": str(r["LINE_NUM"]),
                    "NAME": f"{r['USER_JE_CATEGORY_NAME']} {r['CURRENCY_CODE']} {r['REFERENCE30']}",
                    "REFERENCE_10": r["REFERENCE30"],
                    "DESCRIPTION": r["REFERENCE10"],
                    "STATUS": "U",  # unposted: posting is the GL team's step
                    **{k: v for k, v in r.items() if k not in ("STATUS", "REQUEST_ID", "GROUP_ID")},
                }
            )
            self._book_actual(r)
        self.interface = [r for r in self.interface if r not in rows]

    def _book_actual(self, r: dict[str, Any]) -> None:
        """A journal line with a project shows in GET_ACTUALS (the union query of the docs)."""
        project = next((p for p in self._projects if p.get("SEGMENT1") == r["ATTRIBUTE1"]), None)
        if project is None:
            return
        task = next(
            (
                p
                for p in self._projects
                if p.get("PROJECT_ID") == project["PROJECT_ID"] and p.get("TASK_NUMBER") == r["ATTRIBUTE2"]
            ),
            None,
        )
        amount = Decimal(r["ENTERED_DR"] or "0") - Decimal(r["ENTERED_CR"] or "0")
        self._actuals.append(
            {
                "PROJECT_ID": project["PROJECT_ID"],
                "TASK_ID": task["TASK_ID"] if task else "",
                "CODE_COMBINATION_ID": self._ccid_of(r),
                "PERIOD_NAME": _period_name(r["ACCOUNTING_DATE"]),
                "AMOUNT": amount_text(amount),
                "CURRENCY_CODE": r["CURRENCY_CODE"],
                "JE_REFERENCE": r["REFERENCE30"],
            }
        )

    # -- XX_TIEOUT_WRITE.FIND_JOURNAL_BY_REFERENCE ---------------------------------------
    def find(self, p: dict[str, Any]) -> dict[str, Any]:
        reference = str(p.get("P_REFERENCE") or "")
        with self._lock:
            lines = [j for j in self.je_lines if j["REFERENCE_10"] == reference]
            if lines:
                return {
                    "X_STATE": "IMPORTED",
                    "X_JE_HEADER_ID": lines[0]["JE_HEADER_ID"],
                    "X_JE_BATCH_ID": lines[0]["JE_BATCH_ID"],
                    "X_JOURNAL_NAME": lines[0]["NAME"],
                    "X_GROUP_ID": "",
                    "X_REQUEST_ID": "",
                    "X_INTERFACE_STATUS": "",
                }
            rows = [r for r in self.interface if r["REFERENCE30"] == reference]
            if rows:
                errors = sorted({r["STATUS"] for r in rows if r["STATUS"] != "NEW"})
                return {
                    "X_STATE": "ERROR" if errors else "PENDING",
                    "X_JE_HEADER_ID": "",
                    "X_JE_BATCH_ID": "",
                    "X_JOURNAL_NAME": "",
                    "X_GROUP_ID": rows[0]["GROUP_ID"],
                    "X_REQUEST_ID": rows[0]["REQUEST_ID"],
                    "X_INTERFACE_STATUS": ",".join(errors) or "NEW",
                }
        return {
            "X_STATE": "NONE",
            "X_JE_HEADER_ID": "",
            "X_JE_BATCH_ID": "",
            "X_JOURNAL_NAME": "",
            "X_GROUP_ID": "",
            "X_REQUEST_ID": "",
            "X_INTERFACE_STATUS": "",
        }
