"""The two ERP extension points: the push ports (``reconcile.push.erp_ports``) and the demos
(``sample_data.erps``). Every registered kind must expose what the shared paths call."""

from __future__ import annotations

import pytest

from app.cli import build_parser
from reconcile.push import routes_for
from reconcile.push.erp_ports import ERP_PUSH, NoPushPort, port_for
from sample_data.erps import DEMO_ERPS, DEMO_SEED, demo_module, read_answer_key
from sample_data.generate import KEY_COLUMNS, generate


@pytest.mark.parametrize("kind", sorted(ERP_PUSH))
def test_each_push_port_exposes_planners_source_and_writer(kind: str) -> None:
    port = port_for(kind)
    assert all(k.startswith("procore_to_erp:") for k in port.planners), port.planners
    for name in ("clients", "po_call", "supplier_call", "read_of", "purchase_order", "supplier_name"):
        assert callable(getattr(port.source, name)), name
    assert isinstance(port.source.system, str) and port.source.system
    if port.planners:
        assert port.writer is not None, f"{kind} plans ERP writes but has no WRITER to send them"


def test_a_kind_without_a_push_port_is_one_sentence_and_offers_no_erp_write() -> None:
    with pytest.raises(NoPushPort, match='kind "nowhere"'):
        port_for("nowhere")
    assert routes_for("actual", "missing_in_erp", "", erp_kind="nowhere") == ()
    assert routes_for("commitment", "missing_in_procore", "", erp_kind="nowhere") == ("erp_to_procore",)
    assert routes_for("actual", "missing_in_erp", "") == ("procore_to_erp",)  # SAP by default


@pytest.fixture(scope="module")
def company():
    return generate(DEMO_SEED)


@pytest.mark.parametrize("kind", sorted(DEMO_ERPS))
def test_each_demo_commits_the_answer_key_its_module_computes(kind: str, company) -> None:
    module = demo_module(kind)
    committed = read_answer_key(module.ANSWER_KEY)
    assert committed, module.ANSWER_KEY
    assert list(committed[0]) == KEY_COLUMNS
    computed = [{k: str(r.get(k) or "") for k in KEY_COLUMNS} for r in module.answer_key(company)]
    assert committed == computed, "run python -m sample_data.erps to refresh the committed keys"
    for name in ("start", "mappings"):
        assert callable(getattr(module, name)), name
    assert module.SECRET and module.SHORT


def test_the_demo_command_takes_an_erp_kind_and_defaults_to_sap() -> None:
    parser = build_parser()
    assert parser.parse_args(["demo"]).erp == "sap-s4"
    for kind in DEMO_ERPS:
        assert parser.parse_args(["demo", "--erp", kind]).erp == kind
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["demo", "--erp", "nowhere"])
    assert exc.value.code == 2


def test_an_unknown_demo_kind_is_one_sentence() -> None:
    with pytest.raises(ValueError, match="no demo for ERP kind 'nowhere'; available: "):
        demo_module("nowhere")
