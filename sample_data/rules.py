"""A plain-Python reference of the contract's diff, run over the seeds to write the answer key.

It reads only the seeds (wire shape), the mapping CSV texts and the profile extras, never the
builder's bookkeeping, so the key is what the documented rules give, not what the generator
meant; ``tests/test_sample_data.py`` checks the two agree. It is deliberately simple (dicts,
loops) and slow by engine standards: it exists to define the expected result, not to be fast.
The rules it fixes where shared/interfaces.md leaves room are listed in README.md.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sample_data.wire import key_money

Row = dict[str, str]
ZERO = Decimal(0)


class AmbiguousMapping(Exception):
    """Two cost_codes.csv rows match a record equally: the demo's table must never do this."""


def read_csv(text: str) -> list[Row]:
    return list(csv.DictReader(io.StringIO(text)))


class Mapper:
    """Project and cost-code resolution of interfaces.md section 3 over the SAP WBS hierarchy."""

    def __init__(self, sap: dict[str, list[dict[str, Any]]], mappings: dict[str, str]) -> None:
        by_uuid = {e["ProjectElementUUID"]: e["ProjectElement"] for e in sap["A_EnterpriseProjectElement"]}
        self.parent = {
            e["ProjectElement"]: by_uuid.get(e["ParentObjectUUID"]) for e in sap["A_EnterpriseProjectElement"]
        }
        self.projects = {
            r["wbs_element"]: r["procore_project_number"] for r in read_csv(mappings["projects.csv"])
        }
        self.rows = read_csv(mappings["cost_codes.csv"])
        self._memo: dict[tuple[str, str, str], str | None] = {}

    def chain(self, wbs: str) -> list[str]:
        """The element and its ancestors, nearest first."""
        out: list[str] = []
        node: str | None = wbs
        while node and node not in out:
            out.append(node)
            node = self.parent.get(node)
        return out

    def project(self, wbs: str) -> str | None:
        return next((self.projects[w] for w in self.chain(wbs) if w in self.projects), None)

    def cost_code(self, gl: str, cc: str, wbs: str) -> str | None:
        """The winning cost_codes.csv row's code for one record (None: no row matches)."""
        key = (gl, cc, wbs)
        if key not in self._memo:
            self._memo[key] = self._cost_code(gl, cc, wbs)
        return self._memo[key]

    def _cost_code(self, gl: str, cc: str, wbs: str) -> str | None:
        chain = self.chain(wbs) if wbs else []
        best: list[tuple[int, int, Row]] = []
        for row in self.rows:
            if row["gl_account"] and row["gl_account"] != gl:
                continue
            if row["cost_center"] and row["cost_center"] != cc:
                continue
            if row["wbs_element"] and row["wbs_element"] not in chain:
                continue
            cells = sum(1 for k in ("gl_account", "cost_center", "wbs_element") if row[k])
            depth = len(self.chain(row["wbs_element"])) if row["wbs_element"] else 0
            best.append((cells, depth, row))
        if not best:
            return None
        best.sort(key=lambda x: (x[0], x[1]), reverse=True)
        if len(best) > 1 and best[0][0] == best[1][0] and (best[0][1] == best[1][1] or not best[1][1]):
            # equal cells and equal depth is the contract's error; equal cells where one row has no
            # WBS element is a case readers of the contract could settle differently, so the demo avoids it
            raise AmbiguousMapping(f"{gl}/{cc}/{wbs}: {best[0][2]} vs {best[1][2]}")
        return best[0][2]["procore_cost_code"]


def _x(obj: str, kind: str, key: str, project: str | None, field: str = "", erp: str = "", procore: str = "",
       difference: Decimal | None = None) -> dict[str, str]:  # fmt: skip
    return {"object": obj, "kind": kind, "key": key, "project": project or "", "field": field,
            "erp_value": erp, "procore_value": procore,
            "difference": "" if difference is None else key_money(difference)}  # fmt: skip


def _amounts(obj: str, key: str, project: str | None, erp: Decimal | None, pc: Decimal | None, tol: Decimal,
             out: list[dict[str, str]]) -> None:  # fmt: skip
    if pc is None and erp is not None:
        out.append(_x(obj, "missing_in_procore", key, project, erp=key_money(erp), difference=erp))
    elif erp is None and pc is not None:
        out.append(_x(obj, "missing_in_erp", key, project, procore=key_money(pc), difference=-pc))
    elif erp is not None and pc is not None and abs(erp - pc) > tol:
        out.append(_x(obj, "value_mismatch", key, project, "amount", key_money(erp), key_money(pc), erp - pc))


def answer_key(
    procore: dict[str, Any], sap: dict[str, Any], mappings: dict[str, str], extras: dict[str, Any]
) -> list[dict[str, str]]:
    """Every exception a correct engine produces for this company, sorted by object, kind, key."""
    m = Mapper(sap, mappings)
    tol = Decimal(extras["amount_tolerance"])
    out: list[dict[str, str]] = []
    vlink = _vendors(procore, sap, mappings, out)
    active = {p["id"]: p["project_number"] for p in procore["projects"] if p["active"]}
    _commitments(procore, sap, m, active, vlink, tol, out)
    _budgets(procore, sap, m, active, extras["budget_view"], tol, out)
    _actuals(procore, sap, m, active, extras["company_code"], tol, out)
    order = {"vendor": 0, "commitment": 1, "commitment_line": 2, "budget": 3, "actual": 4}
    return sorted(out, key=lambda r: (order[r["object"]], r["kind"], r["key"], r["field"]))


def _vendors(
    procore: dict[str, Any], sap: dict[str, Any], mappings: dict[str, str], out: list[dict[str, str]]
) -> dict[int, str]:
    """Link vendors (explicit row, origin_id, exact name); returns Procore vendor id -> supplier."""
    suppliers = {s["Supplier"]: s for s in sap["A_Supplier"]}
    by_name: dict[str, list[str]] = defaultdict(list)
    for s in sap["A_Supplier"]:
        by_name[s["SupplierName"]].append(s["Supplier"])
    rows = read_csv(mappings.get("vendors.csv", "erp_vendor,procore_vendor_id\n"))
    explicit = {int(r["procore_vendor_id"]): r["erp_vendor"] for r in rows}
    link: dict[int, str] = {}
    linked: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for v in procore["vendors"]:
        s = explicit.get(v["id"])
        if s is None and v["origin_id"] in suppliers:
            s = v["origin_id"]
        if s is None and len(by_name.get(v["name"], [])) == 1:
            s = by_name[v["name"]][0]
        if s is None or s not in suppliers:
            out.append(
                _x("vendor", "missing_in_erp", v["origin_id"] or f"procore:{v['id']}", "", procore=v["name"])
            )
            continue
        link[v["id"]] = s
        linked[s].append(v)
    vendor_ids = {v["id"] for v in procore["vendors"]}
    stale = {r["erp_vendor"] for r in rows if int(r["procore_vendor_id"]) not in vendor_ids}
    for s, rec in suppliers.items():
        vs = linked.get(s, [])
        if not vs:
            kind = "unmapped" if s in stale else "missing_in_procore"
            out.append(_x("vendor", kind, s, "", erp=rec["SupplierName"]))
        elif len(vs) > 1:
            out.append(_x("vendor", "duplicate", s, "", erp=rec["SupplierName"],
                          procore=",".join(str(v["id"]) for v in sorted(vs, key=lambda v: v["id"]))))  # fmt: skip
        elif vs[0]["name"] != rec["SupplierName"]:
            out.append(_x("vendor", "value_mismatch", s, "", "name", rec["SupplierName"], vs[0]["name"]))
    return link


def _commitments(procore: dict[str, Any], sap: dict[str, Any], m: Mapper, active: dict[int, str],
                 vlink: dict[int, str], tol: Decimal, out: list[dict[str, str]]) -> None:  # fmt: skip
    # ERP lines: one per item; amount = sum of assignments, cost code of the largest assignment.
    assignments: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in sap["A_PurOrdAccountAssignment"]:
        if not a.get("IsDeleted"):
            assignments[f"{a['PurchaseOrder']}/{a['PurchaseOrderItem']}"].append(a)
    lines: dict[str, dict[str, Any]] = {}
    po_lines: dict[str, list[str]] = defaultdict(list)
    for it in sap["A_PurchaseOrderItem"]:
        ikey = f"{it['PurchaseOrder']}/{it['PurchaseOrderItem']}"
        acc = assignments[ikey]
        amount = sum((Decimal(a["PurgDocNetAmount"]) for a in acc), ZERO)
        big = max(acc, key=lambda a: Decimal(a["PurgDocNetAmount"]))
        lines[ikey] = {"amount": amount, "project": m.project(big["WBSElement"]),
                      "code": m.cost_code(big["GLAccount"], big["CostCenter"], big["WBSElement"])}  # fmt: skip
        po_lines[it["PurchaseOrder"]].append(ikey)
    pos = {p["PurchaseOrder"]: p for p in sap["A_PurchaseOrder"]}
    # Procore contracts in active projects, linked by origin_id then number.
    contracts: list[tuple[dict[str, Any], str]] = []
    for kind in ("purchase_order_contracts", "work_order_contracts"):
        for pid, recs in procore[kind].items():
            if int(pid) in active:
                contracts += [(c, active[int(pid)]) for c in recs]
    c_link: dict[int, str] = {}
    by_po: dict[str, list[tuple[dict[str, Any], str]]] = defaultdict(list)
    pc_lines: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    for c, number in contracts:
        po = c["origin_id"] if c["origin_id"] in pos else (c["number"] if c["number"] in pos else None)
        for line in procore["commitment_line_items"].get(str(c["id"]), []):
            pc_lines.append((line, c, number))
        if po is None:
            total = sum(
                (Decimal(x["amount"]) for x in procore["commitment_line_items"].get(str(c["id"]), [])), ZERO
            )
            out.append(_x("commitment", "missing_in_erp", c["origin_id"] or f"procore:{c['id']}", number,
                          procore=key_money(total), difference=-total))  # fmt: skip
            continue
        c_link[c["id"]] = po
        by_po[po].append((c, number))
    # Lines: origin_id, then position x 10 within a linked contract.
    l_by_erp: dict[str, list[tuple[dict[str, Any], str]]] = defaultdict(list)
    for line, c, number in pc_lines:
        key: str | None = line["origin_id"] if line["origin_id"] in lines else None
        if key is None and c["id"] in c_link:
            guess = f"{c_link[c['id']]}/{line['position'] * 10:05d}"
            key = guess if guess in lines else None
        if key is None:
            amount = Decimal(line["amount"])
            out.append(_x("commitment_line", "missing_in_erp", line["origin_id"] or f"procore:{line['id']}", number,
                          procore=key_money(amount), difference=-amount))  # fmt: skip
            continue
        l_by_erp[key].append((line, number))
    for key, ln in lines.items():
        pcs = l_by_erp.get(key, [])
        project = ln["project"] or (pcs[0][1] if pcs else None)
        if ln["project"] is None or ln["code"] is None:
            out.append(
                _x(
                    "commitment_line",
                    "unmapped",
                    key,
                    project,
                    erp=key_money(ln["amount"]),
                )
            )
        elif not pcs:
            _amounts("commitment_line", key, project, ln["amount"], None, tol, out)
        elif len(pcs) > 1:
            out.append(
                _x(
                    "commitment_line",
                    "duplicate",
                    key,
                    project,
                    procore=",".join(str(p[0]["id"]) for p in pcs),
                )
            )
        else:
            pc = pcs[0][0]
            _amounts("commitment_line", key, project, ln["amount"], Decimal(pc["amount"]), tol, out)
            if pc["cost_code"]["full_code"] != ln["code"]:
                out.append(
                    _x(
                        "commitment_line",
                        "value_mismatch",
                        key,
                        project,
                        "cost_code",
                        ln["code"],
                        pc["cost_code"]["full_code"],
                    )
                )
    for po, rec in pos.items():
        erp_amount = sum((lines[k]["amount"] for k in po_lines[po]), ZERO)
        projects = {lines[k]["project"] for k in po_lines[po]}
        project = next(iter(projects)) if len(projects) == 1 else None
        cs = by_po.get(po, [])
        if project is None:
            out.append(
                _x(
                    "commitment",
                    "unmapped",
                    po,
                    cs[0][1] if cs else None,
                    erp=key_money(erp_amount),
                )
            )
        elif not cs:
            _amounts("commitment", po, project, erp_amount, None, tol, out)
        elif len(cs) > 1:
            out.append(
                _x("commitment", "duplicate", po, project, procore=",".join(str(c["id"]) for c, _ in cs))
            )
        else:
            c = cs[0][0]
            pc_amount = sum(
                (Decimal(x["amount"]) for x in procore["commitment_line_items"].get(str(c["id"]), [])), ZERO
            )
            vendor = vlink.get(c["vendor"]["id"], f"procore:{c['vendor']['id']}")
            if vendor != rec["Supplier"]:
                out.append(_x("commitment", "value_mismatch", po, project, "vendor", rec["Supplier"], vendor))
            _amounts("commitment", po, project, erp_amount, pc_amount, tol, out)


def _budgets(procore: dict[str, Any], sap: dict[str, Any], m: Mapper, active: dict[int, str], view_name: str,
             tol: Decimal, out: list[dict[str, str]]) -> None:  # fmt: skip
    erp: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for b in sap["WBSBudget"]:
        project, code = m.project(b["WBSElement"]), m.cost_code("", "", b["WBSElement"])
        amount = Decimal(b["BudgetAmount"])
        if project is None or code is None:
            out.append(_x("budget", "unmapped", f"{b['WBSElement']}//", project, erp=key_money(amount)))
        else:
            erp[(project, code)] += amount
    pc: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for pid, number in active.items():
        views = procore["budget_views"].get(str(pid), [])
        view = next((v for v in views if v["name"] == view_name), views[0] if views else None)
        if view is None:
            continue
        seen: set[tuple[int, int]] = set()
        dups: set[str] = set()
        for row in procore["budget_detail_rows"].get(f"{view['id']}:{pid}", []):
            code = row["cost_code"]["full_code"]
            pc[(number, code)] += Decimal(row["original_budget_amount"])
            if (row["cost_code_id"], row["category_id"]) in seen:
                dups.add(code)
            seen.add((row["cost_code_id"], row["category_id"]))
        out += [_x("budget", "duplicate", f"{number}/{code}", number) for code in sorted(dups)]
    for key in sorted(set(erp) | set(pc)):
        _amounts("budget", "/".join(key), key[0], erp.get(key), pc.get(key), tol, out)


def _actuals(procore: dict[str, Any], sap: dict[str, Any], m: Mapper, active: dict[int, str], company_code: str,
             tol: Decimal, out: list[dict[str, str]]) -> None:  # fmt: skip
    agg: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for je in sap["A_JournalEntryItemBasic"]:
        if je["CompanyCode"] == company_code and je["Ledger"] == "0L":
            agg[(je["WBSElement"], je["GLAccount"], je["CostCenter"])] += Decimal(
                je["AmountInCompanyCodeCurrency"]
            )
    erp: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    unmapped: dict[str, tuple[str | None, Decimal]] = {}
    for (wbs, gl, cc), amount in agg.items():
        project, code = m.project(wbs), m.cost_code(gl, cc, wbs)
        if project is None or code is None:
            unmapped[f"{wbs}/{gl}/{cc}"] = (project, amount)
        else:
            erp[(project, code)] += amount
    for key, (project, amount) in sorted(unmapped.items()):
        out.append(_x("actual", "unmapped", key, project, erp=key_money(amount)))
    pc: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    origins: dict[tuple[str, str], set[str]] = defaultdict(set)
    dups: set[tuple[str, str]] = set()
    for pid, number in active.items():
        counted: list[dict[str, Any]] = []
        for dc in procore["direct_costs"].get(str(pid), []):
            if dc["status"] == "approved":
                counted += procore["direct_cost_line_items"].get(str(dc["id"]), [])
        for req in procore["requisitions"].get(str(pid), []):
            if req["status"] in ("approved", "approved_as_noted"):
                for item in procore["requisition_items"].get(str(req["id"]), []):
                    amount = Decimal(item["work_completed_this_period"]) + Decimal(
                        item["materials_presently_stored"]
                    )
                    counted.append(
                        {
                            "amount": str(amount),
                            "cost_code": item["cost_code"],
                            "origin_id": item.get("origin_id"),
                        }
                    )
        for line in counted:
            ckey = (number, line["cost_code"]["full_code"])
            pc[ckey] += Decimal(line["amount"])
            if line.get("origin_id"):
                if line["origin_id"] in origins[ckey]:
                    dups.add(ckey)
                origins[ckey].add(line["origin_id"])
    out += [_x("actual", "duplicate", "/".join(k), k[0]) for k in sorted(dups)]
    for pair in sorted(set(erp) | set(pc)):
        _amounts("actual", "/".join(pair), pair[0], erp.get(pair), pc.get(pair), tol, out)
