"""The demo company rendered as SAP ECC tables, and its answer key against the S/4 one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sample_data import sap_ecc_wire as w
from sample_data.generate import DemoCompany, generate


@pytest.fixture(scope="module")
def company() -> DemoCompany:
    return generate(7)


@pytest.mark.parametrize(
    "name",
    [
        "Short Name",
        ("Metropolitan Regional Mechanical Electrical Plumbing and Fire Contractors" + " " * 10)[:77] + "LLC",
        "A" * 34 + " " + "B" * 34 + " " + "C" * 10,
    ],
)
def test_names_fit_four_fields_and_join_back_with_one_space(name: str) -> None:
    fields = w.name_fields(name)
    assert len(fields) <= 4 and all(len(f) <= 35 for f in fields)
    assert w.joined(fields) == name


def test_the_ecc_key_differs_from_the_s4_key_only_where_ecc_cannot_hold_the_plant(
    company: DemoCompany,
) -> None:
    s4 = {(r["object"], r["kind"], r["key"], r["field"]) for r in company.answer_key}
    ecc = {(r["object"], r["kind"], r["key"], r["field"]) for r in w.answer_key(company)}
    # Two decimals: 1,250.011 is 1,250.01, the tolerance.
    assert s4 - ecc == {
        ("commitment", "value_mismatch", "4500000006", "amount"),
        ("commitment_line", "value_mismatch", "4500000006/00010", "amount"),
    }
    extra = ecc - s4
    assert ("vendor", "value_mismatch", "1000006", "name") in extra  # ESC cannot cross XML 1.0
    # No cost center in COSP: the 01-910 row matches no actual, 01-900 takes its postings.
    rest = extra - {("vendor", "value_mismatch", "1000006", "name")}
    assert {(o, k, key.split("/")[1]) for o, k, key, _ in rest} == {
        ("actual", "missing_in_erp", "01-910"),
        ("actual", "value_mismatch", "01-900"),
    }


def test_tables_are_as_ecc_stores_them(company: DemoCompany) -> None:
    t = w.ecc_tables(w.ecc_view(company.sap))
    assert all(len(r["LIFNR"]) == 10 for r in t["LFA1"])
    prps = {r["PSPNR"]: r["POSID"] for r in t["PRPS"]}
    assert all(k["PS_PSP_PNR"] in prps for k in t["EKKN"])
    assert {r["OBJNR"][:2] for r in t["BPGE"] + t["COSP"]} == {"PR"}
    # Item net value = its assignments, to the cent; the S/4 seed's PO totals are kept.
    netwr = sum((r["NETWR"] for r in t["EKPO"]), Decimal(0))
    kn = sum((r["NETWR"] for r in t["EKKN"]), Decimal(0))
    assert netwr == kn
    assert {r["WRTTP"] for r in t["COSP"]} == {"04", "01"}
