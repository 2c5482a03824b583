"""``tieout pull --plan`` for the people sources, against the demo's IdP and Procore simulators.

The plan is checked against the pull it predicts: after a first pull, the requests it names
for ``identity`` and ``directory`` are the requests the next pull sends, counted at the
simulators (token requests aside: they go to the login endpoint, not the API).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.demo import DemoEnv, demo_environment
from reconcile.profile import load_profile
from reconcile.pull import plan_pull
from reconcile.store import Store

STAFF = 40


def people_only(env: DemoEnv) -> Path:
    """The demo profile without [erp]: an IT admin's, who pulls only the people sources."""
    text = env.profile_path.read_text(encoding="utf-8")
    text = re.sub(r"\n\[erp\]\n(?:[^\[\n][^\n]*\n)*", "\n", text)
    path = env.dir / "people.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(params=["okta", "entra"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DemoEnv]:
    with demo_environment(tmp_path, idp=request.param, staff=STAFF) as env:
        yield env


def api_requests(env: DemoEnv) -> tuple[int, int]:
    """Requests the IdP and Procore simulators have answered, token requests left out."""
    idp = [r for r in env.idp.server.log if "/oauth2/" not in r.path]
    procore = [r for r in env.procore.server.log if r.path.startswith("/rest/")]
    return len(idp), len(procore)


def totals(plans: dict[str, list]) -> dict[str, int]:
    return {source: sum(r.full_requests for r in rows) for source, rows in plans.items()}


def test_the_plan_prices_the_people_pull_it_predicts(
    env: DemoEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    path = people_only(env)
    profile = load_profile(path)
    groups = len(profile.people.groups) if profile.people else 0
    with Store(profile.store_path) as store:
        first = plan_pull(profile, store)
    assert set(first) == {"identity", "directory"}
    # No snapshot yet: the IdP's floor is a look-up and a page per group; the plan sent nothing to it.
    assert [(r.resource, r.full_requests) for r in first["identity"]] == [("idp_users", 2 * groups)]
    assert "no snapshot yet" in first["identity"][0].note
    assert api_requests(env)[0] == 0
    assert [r.resource for r in first["directory"]] == [
        "projects",
        "company_users",
        "inactive_users",
        "permission_templates",
        "project_users",
    ]

    assert main(["pull", "--profile", str(path)]) == 0
    capsys.readouterr()
    assert main(["pull", "--plan", "--profile", str(path)]) == 0
    shown = capsys.readouterr().out
    assert re.search(r"^identity +idp_users +\d+", shown, re.M), shown
    assert re.search(r"^directory +project_users +\d+", shown, re.M), shown

    with Store(profile.store_path) as store:
        plan = plan_pull(profile, store)
    before = api_requests(env)
    assert main(["pull", "--profile", str(path)]) == 0
    after = api_requests(env)
    sent = {"identity": after[0] - before[0], "directory": after[1] - before[1]}
    assert totals(plan) == sent
    for rows in plan.values():  # every group and list is read in full: incremental costs the same
        assert all(r.full_requests == r.incremental_requests for r in rows)
    idp = plan["identity"][0]
    if env.idp.__class__.__name__ == "OktaSimulator":
        # Timed at the per-minute limit Okta's answers reported (X-Rate-Limit-Limit).
        assert idp.seconds_full == pytest.approx(idp.full_requests / (env.idp.rate_limit / 60))
    else:
        assert idp.seconds_full is None and "reports no rate limit" in idp.note
    assert all(r.seconds_full is not None for r in plan["directory"])  # Procore reports its limits
