"""``EbsSimulator``: Oracle EBS Integrated SOA Gateway REST over loopback, seeded with wire rows.

It behaves like ISG where Tieout depends on it: ``/webservices/rest/login`` with Basic
auth answers a session token and sets it as a cookie; only that cookie authenticates a
procedure call; sessions end after ``idle_timeout`` seconds without a call (or when a
test fires the ``expire_session`` fault) and then answer 401; the RESTHeader is checked
(a wrong Responsibility, RespApplication, SecurityGroup or NLSLanguage is a 403
``ISGServiceFault``; an Org_Id the responsibility lacks is ``X_RETURN_STATUS = E``);
every value is a string; ``X_ROWS`` is ``null`` when empty and one object when it holds
one row; pages are cut at ``page_cap`` rows whatever ``P_LIMIT`` asks; ``P_CHANGED_SINCE``
filters the procedures whose rows carry LAST_UPDATE_DATE. The XX_TIEOUT_WRITE procedures
live in ``sim_journal``. Faults come from ``simkit`` (500, 429 with Retry-After, drops,
malformed JSON) plus ``expire_session``.

Seed: ``{"oracle_ebs": {"GET_SUPPLIERS": [rows], ...}}`` (or the inner dict), rows exactly
as the procedures return them.
"""

from __future__ import annotations

import base64
import copy
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from adapters.oracle_ebs.sim_journal import GeneralLedger, ProcedureFailed
from adapters.oracle_ebs.wire import (
    LOGIN_PATH,
    LOGOUT_PATH,
    READ_PACKAGE,
    REST_ROOT,
    WRITE_PACKAGE,
    fault_body,
    parse_ts,
    table_value,
    unwrap_input,
)
from adapters.simkit import Served, SimRequest, SimResponse, SimServer

#: Read procedures and the columns they are ordered by (a stable order makes offsets meaningful).
READS: dict[str, tuple[str, ...]] = {
    "GET_SUPPLIERS": ("VENDOR_ID",),
    "GET_CODE_COMBINATIONS": ("CODE_COMBINATION_ID",),
    "GET_PROJECTS": ("PROJECT_ID", "TASK_ID"),
    "GET_PO_DISTRIBUTIONS": ("PO_DISTRIBUTION_ID",),
    "GET_BUDGET_LINES": ("PROJECT_ID", "TASK_ID"),
    "GET_ACTUALS": ("PROJECT_ID", "TASK_ID", "CODE_COMBINATION_ID", "PERIOD_NAME"),
}
#: The procedures whose rows carry LAST_UPDATE_DATE, so P_CHANGED_SINCE filters them.
STAMPED = {"GET_SUPPLIERS", "GET_PO_DISTRIBUTIONS"}
WRITES = {"INSERT_GL_INTERFACE", "SUBMIT_JOURNAL_IMPORT", "GET_REQUEST_STATUS", "FIND_JOURNAL_BY_REFERENCE"}
_JSON = {"Content-Type": "application/json"}
_SEGMENTS = [f"SEGMENT{i}" for i in range(1, 11)]


def _order(value: Any) -> tuple[int, Any]:
    text = str(value or "")
    return (0, int(text)) if text.isdigit() else (1, text)


class EbsSimulator(Served):
    """ISG REST over loopback. ``.start() -> base_url``, ``.stop()``, ``.faults``, ``.server``, ``.gl``."""

    def __init__(
        self,
        seed: dict[str, Any],
        *,
        username: str,
        password: str,
        responsibility: str = "TIEOUT_READ_ONLY",
        resp_application: str = "SQLGL",
        security_group: str = "STANDARD",
        nls_language: str = "AMERICAN",
        org_ids: tuple[str, ...] = ("204",),
        ledger_id: str = "1",
        alias: str = "xx_tieout",
        write_alias: str = "xx_tieout_write",
        page_cap: int | None = None,
        idle_timeout: float = 1800.0,
        clock: Callable[[], float] = time.monotonic,
        cookie_name: str = "EBSDB",
        granted: set[str] | None = None,
    ) -> None:
        self._user, self._password = username, password
        self.context = {
            "Responsibility": responsibility,
            "RespApplication": resp_application,
            "SecurityGroup": security_group,
            "NLSLanguage": nls_language,
        }
        self.org_ids = org_ids
        self.alias, self.write_alias = alias, write_alias
        self.page_cap = page_cap
        self.idle_timeout = idle_timeout
        self._clock = clock
        self.cookie_name = cookie_name
        #: The methods granted to the user (None: all); an ungranted one is ISG_SERVICE_AUTH_FAILURE.
        self.granted = granted
        inner = seed.get("oracle_ebs", seed)
        self.data: dict[str, list[dict[str, Any]]] = {
            name: [dict(r) for r in inner.get(name, [])] for name in READS
        }
        self._sessions: dict[str, float] = {}  # token → last use
        self.logins = 0
        self._lock = threading.RLock()
        self.gl = GeneralLedger(ledger_id, self.data["GET_ACTUALS"], self.data["GET_PROJECTS"], self._ccid_of)
        self.server = SimServer(
            [
                ("GET", LOGIN_PATH, self._login),
                ("GET", LOGOUT_PATH, self._logout),
                ("POST", REST_ROOT + r"/(?P<alias>[\w.-]+)/(?P<method>\w+)/?", self._procedure),
            ],
            name="ebs-sim",
        )
        self.faults = self.server.faults

    def expire_sessions(self) -> None:
        """End every session now, as an idle timeout or an EBS bounce would."""
        with self._lock:
            self._sessions.clear()

    # -- session ----------------------------------------------------------------------
    def _login(self, req: SimRequest) -> SimResponse:
        auth = req.headers.get("authorization", "")
        user, _, pw = (
            base64.b64decode(auth[6:]).decode("utf-8", "replace").partition(":")
            if auth.lower().startswith("basic ")
            else ("", "", "")
        )
        if user.upper() != self._user.upper() or pw != self._password:
            return SimResponse.json(
                fault_body(
                    "FND_SOA_AUTHENTICATION_FAILURE",
                    "Invalid user name or password",
                    "Please use proper username password combination.",
                ),
                401,
            )
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[token] = self._clock()
            self.logins += 1
        body = {
            "data": {
                "accessTokenName": self.cookie_name,
                "accessToken": token,
                "ebsVersion": "12.2.12",
                "userName": self._user.upper(),
            }
        }
        return SimResponse.json(body, headers={"Set-Cookie": f"{self.cookie_name}={token}; Path=/; HttpOnly"})

    def _token(self, req: SimRequest) -> str | None:
        for part in req.headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == self.cookie_name:
                return value
        return None

    def _session_ok(self, req: SimRequest) -> bool:
        if self.faults.take(req.path, ("expire_session",)) is not None:
            self.expire_sessions()
        token = self._token(req)
        now = self._clock()
        with self._lock:
            last = self._sessions.get(token or "")
            if last is None:
                return False
            if self.idle_timeout and now - last > self.idle_timeout:
                del self._sessions[token or ""]
                return False
            self._sessions[token or ""] = now
        return True

    def _logout(self, req: SimRequest) -> SimResponse:
        with self._lock:
            self._sessions.pop(self._token(req) or "", None)
        return SimResponse.json({"data": {"status": "logged out"}})

    # -- procedures --------------------------------------------------------------------
    def _procedure(self, req: SimRequest, alias: str, method: str) -> SimResponse:
        if not self._session_ok(req):
            # Basic auth on a procedure call does not help: only the session cookie counts.
            return SimResponse.json(
                fault_body("FND_SOA_AUTHENTICATION_FAILURE", "Invalid or expired session", "Log in again."),
                401,
            )
        proc = method.upper()
        package = (
            READ_PACKAGE if alias == self.alias else WRITE_PACKAGE if alias == self.write_alias else None
        )
        if package is None or (proc not in READS if package == READ_PACKAGE else proc not in WRITES):
            return SimResponse.json(
                fault_body(
                    "ISG_INVALID_ALIAS", f"Service {alias}/{method} is not deployed", "Deploy the service."
                ),
                404,
            )
        if self.granted is not None and proc not in self.granted:
            return SimResponse.json(
                fault_body(
                    "ISG_SERVICE_AUTH_FAILURE",
                    "User not authorized to execute service",
                    "Please grant the function to the user and responsibility combination.",
                ),
                403,
            )
        try:
            parts = unwrap_input(proc, req.json())
        except ValueError:
            parts = None
        if parts is None:
            return SimResponse.json(
                fault_body("ISG_INVALID_REQUEST", f"The request body is not {proc}_Input", ""), 400
            )
        header, params = parts
        for element, expected in self.context.items():
            if str(header.get(element) or "") != expected:
                label = {
                    "Responsibility": "Responsibility",
                    "RespApplication": "Responsibility Application",
                    "SecurityGroup": "Security Group",
                    "NLSLanguage": "NLS Language",
                }[element]
                return SimResponse.json(
                    fault_body(
                        "ISG_INVALID_CONTEXT",
                        f"{label} {header.get(element)!s} is not valid for user {self._user.upper()}",
                        "Send a RESTHeader that names a context the user has.",
                    ),
                    403,
                )
        org = str(header.get("Org_Id") or "")
        if org not in self.org_ids:
            return self._out(
                {
                    "X_RETURN_STATUS": "E",
                    "X_MSG_DATA": f"Operating unit {org} is not in the "
                    f"security profile of responsibility {self.context['Responsibility']}.",
                }
            )
        try:
            if package == READ_PACKAGE:
                return self._out(self._read(proc, params, org))
            return self._out({"X_RETURN_STATUS": "S", "X_MSG_DATA": "", **self._write(proc, params)})
        except ProcedureFailed as exc:
            return self._out({"X_RETURN_STATUS": "E", "X_MSG_DATA": str(exc)})

    @staticmethod
    def _out(params: dict[str, Any]) -> SimResponse:
        return SimResponse.json({"OutputParameters": params}, headers=_JSON)

    def _read(self, proc: str, p: dict[str, Any], org: str) -> dict[str, Any]:
        try:
            offset, limit = int(str(p.get("P_OFFSET") or "0")), int(str(p.get("P_LIMIT") or "500"))
            since = parse_ts(p.get("P_CHANGED_SINCE") or "")
        except ValueError:
            raise ProcedureFailed("P_OFFSET, P_LIMIT or P_CHANGED_SINCE is not valid.") from None
        if offset < 0 or limit < 1:
            raise ProcedureFailed("P_OFFSET must be 0 or more and P_LIMIT 1 or more.")
        with self._lock:
            rows = [r for r in self.data[proc] if r.get("ORG_ID") in (None, "", org)]
            if since is not None and proc in STAMPED:
                rows = [r for r in rows if (parse_ts(r.get("LAST_UPDATE_DATE")) or since) >= since]
            rows.sort(key=lambda r: tuple(_order(r.get(k)) for k in READS[proc]))
            cut = min(limit, self.page_cap or limit)
            page = [
                {k: v for k, v in copy.deepcopy(r).items() if k != "JE_REFERENCE"}
                for r in rows[offset : offset + cut]
            ]
        return {
            "X_RETURN_STATUS": "S",
            "X_MSG_DATA": "",
            "X_HAS_MORE": "Y" if offset + len(page) < len(rows) else "N",
            "X_ROWS": table_value(page, "X_ROWS_ITEM"),
        }

    def _write(self, proc: str, p: dict[str, Any]) -> dict[str, Any]:
        if proc == "INSERT_GL_INTERFACE":
            return self.gl.insert(p, _SEGMENTS)
        if proc == "SUBMIT_JOURNAL_IMPORT":
            return self.gl.submit(p)
        if proc == "GET_REQUEST_STATUS":
            return self.gl.status(p)
        return self.gl.find(p)

    def _ccid_of(self, row: dict[str, Any]) -> str:
        """The code combination whose segments equal the journal line's (Journal Import's lookup)."""
        for cc in self.data["GET_CODE_COMBINATIONS"]:
            if all(str(cc.get(s) or "") == str(row.get(s) or "") for s in _SEGMENTS):
                return str(cc["CODE_COMBINATION_ID"])
        return ""
