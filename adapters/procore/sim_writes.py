"""The simulator's write endpoints: vendors, purchase order contracts, their line items, syncs.

A mixin of ``ProcoreSimulator``, kept apart so the read side stays readable. Writes
mutate the seeded state and bump ``updated_at`` (a line change also bumps its
contract's, as Procore's recalculated totals do), so the next incremental pull sees them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adapters.simkit import SimRequest, SimResponse


class SimWrites:
    data: dict[str, Any]
    contracts: dict[int, tuple[str, str, dict[str, Any]]]

    def _new_id(self) -> int:
        raise NotImplementedError

    def touch(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    @staticmethod
    def _missing(what: str) -> SimResponse:
        return SimResponse.json({"errors": f"{what} not found"}, 404)

    def _vendor_upsert(
        self, fields: dict[str, Any], vid: int | None = None
    ) -> tuple[dict[str, Any] | None, str]:
        vendors: list[dict[str, Any]] = self.data["vendors"]
        origin = fields.get("origin_id")
        target = None
        if vid is not None:
            target = next((v for v in vendors if v["id"] == vid), None)
            if target is None:
                return None, "Vendor not found"
        elif origin is not None:
            target = next((v for v in vendors if v.get("origin_id") == origin), None)
        if origin is not None and any(v.get("origin_id") == origin and v is not target for v in vendors):
            return None, "origin_id has already been taken"
        if target is None:
            if not fields.get("name"):
                return None, "name can't be blank"
            target = {
                "id": self._new_id(),
                "name": None,
                "is_active": True,
                "origin_id": None,
                "origin_code": None,
            }
            vendors.append(target)
        target.update({k: v for k, v in fields.items() if k != "id"})
        self.touch(target)
        return target, ""

    def _create_vendor(self, req: SimRequest) -> SimResponse:
        body = req.json() or {}
        fields = dict(body.get("vendor") or {})
        if fields.get("origin_id") is not None and any(
            v.get("origin_id") == fields["origin_id"] for v in self.data["vendors"]
        ):
            return SimResponse.json({"errors": {"origin_id": ["has already been taken"]}}, 422)
        v, err = self._vendor_upsert(fields)
        return SimResponse.json(v, 201) if v else SimResponse.json({"errors": err}, 422)

    def _patch_vendor(self, req: SimRequest, vid: str) -> SimResponse:
        v, err = self._vendor_upsert(dict((req.json() or {}).get("vendor") or {}), int(vid))
        return (
            SimResponse.json(v)
            if v
            else SimResponse.json({"errors": err}, 404 if "not found" in err else 422)
        )

    def _sync_vendors(self, req: SimRequest) -> SimResponse:
        entities, errors = [], []
        for upd in (req.json() or {}).get("updates") or []:
            v, err = self._vendor_upsert(dict(upd), upd.get("id"))
            if v:
                entities.append(v)
            else:
                errors.append({**upd, "errors": {"base": [err]}})
        return SimResponse.json({"entities": entities, "errors": errors})

    def _create_poc(self, req: SimRequest) -> SimResponse:
        body = req.json() or {}
        pid = str(body.get("project_id"))
        fields = dict(body.get("purchase_order_contract") or {})
        if pid not in {str(p["id"]) for p in self.data["projects"]}:
            return SimResponse.json({"errors": "Project not found"}, 404)
        origin = fields.get("origin_id")
        if origin is not None and any(c.get("origin_id") == origin for _, _, c in self.contracts.values()):
            return SimResponse.json({"errors": {"origin_id": ["has already been taken"]}}, 422)
        vendor_id = fields.pop("vendor_id", None)
        vendor = next((v for v in self.data["vendors"] if v["id"] == vendor_id), None)
        c: dict[str, Any] = {
            "id": self._new_id(),
            "number": None,
            "title": None,
            "status": "Draft",
            "executed": False,
            "grand_total": "0.00",
            "private": False,
            "vendor": {"id": vendor["id"], "name": vendor["name"]} if vendor else None,
            "origin_id": None,
            "origin_code": None,
            "deleted_at": None,
            **fields,
        }
        self.touch(c)
        self.data["purchase_order_contracts"].setdefault(pid, []).append(c)
        self.contracts[c["id"]] = ("purchase_order", pid, c)
        return SimResponse.json(c, 201)

    def _line_fields(self, pid: str, fields: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in fields.items() if k not in ("cost_code_id", "line_item_type_id", "id")}
        if "cost_code_id" in fields:
            cc = next(
                (c for c in self.data["cost_codes"].get(pid, []) if c["id"] == fields["cost_code_id"]), None
            )
            out["cost_code"] = (
                {"id": cc["id"], "full_code": cc.get("full_code"), "name": cc.get("name")} if cc else None
            )
        if "line_item_type_id" in fields:
            t = next(
                (t for t in self.data["line_item_types"] if t["id"] == fields["line_item_type_id"]), None
            )
            out["line_item_type"] = {"id": t["id"], "name": t.get("name")} if t else None
        return out

    def _after_line_change(self, cid: str, contract: dict[str, Any]) -> None:
        total = sum(
            (Decimal(str(li.get("amount") or 0)) for li in self.data["commitment_line_items"].get(cid, [])),
            Decimal(0),
        )
        contract["grand_total"] = f"{total:.2f}"
        self.touch(contract)

    def _patch_line(self, req: SimRequest, cid: str, lid: str) -> SimResponse:
        found = self.contracts.get(int(cid))
        line = next(
            (li for li in self.data["commitment_line_items"].get(cid, []) if li["id"] == int(lid)), None
        )
        if not found or line is None:
            return self._missing("Line item")
        line.update(self._line_fields(found[1], dict((req.json() or {}).get("line_item") or {})))
        self.touch(line)
        self._after_line_change(cid, found[2])
        return SimResponse.json(line)

    def _sync_lines(self, req: SimRequest, cid: str) -> SimResponse:
        found = self.contracts.get(int(cid))
        if not found:
            return self._missing("Contract")
        lines = self.data["commitment_line_items"].setdefault(cid, [])
        entities, errors = [], []
        for upd in (req.json() or {}).get("updates") or []:
            line = None
            if upd.get("id") is not None:
                line = next((li for li in lines if li["id"] == upd["id"]), None)
                if line is None:
                    errors.append({**upd, "errors": {"id": ["not found"]}})
                    continue
            elif upd.get("origin_id") is not None:
                line = next((li for li in lines if li.get("origin_id") == upd["origin_id"]), None)
            if line is None:
                line = {
                    "id": self._new_id(),
                    "position": len(lines) + 1,
                    "description": None,
                    "amount": "0.00",
                    "cost_code": None,
                    "line_item_type": None,
                    "origin_id": None,
                }
                lines.append(line)
            line.update(self._line_fields(found[1], dict(upd)))
            self.touch(line)
            entities.append(line)
        self._after_line_change(cid, found[2])
        return SimResponse.json({"entities": entities, "errors": errors})
