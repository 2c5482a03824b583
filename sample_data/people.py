"""The demo company's workforce: an Okta org or an Entra tenant, the Procore directory, access.csv,
and the people answer key.

``workforce(seed)`` is deterministic and small enough to build at run time. The same people
appear in both IdPs (Okta ids ``00u…``, Entra object ids ``…-oid``), so one Procore directory
serves both and the answer keys differ only where the IdPs speak differently (a disabled
Okta user is SUSPENDED or DEPROVISIONED, an Entra one ``disabled``).

Planted, each for a reason (``PLANTED`` names them by index):

- ``missing_in_procore``: four hires without a Procore account; one is reached in Entra only
  through the nested group "Field Operations" (a client that ignores nesting misses it);
- ``orphaned``: two DEPROVISIONED users and one SUSPENDED user still active in Procore (Okta's
  default user list would omit the DEPROVISIONED ones), two leavers deleted from the IdP;
  one orphan still holds a project role, which the deactivation plan must show;
- ``value_mismatch``: ``is_active`` (two), ``name`` (two), ``job_title`` (three, one of
  them empty in Procore), ``permission_template`` (two, an admin template never granted);
- ``access_mismatch``: two memberships missing, two extra, two with another template;
- never reported: the integration's service account and a break-glass admin (``exclude``),
  a DEPROVISIONED user already inactive in Procore, 50 outside collaborators (subcontractors,
  architects, owners) on other domains, an e-mail in mixed case in Procore, an Entra user
  without a mailbox (keyed by ``userPrincipalName``).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sample_data.company import COMPANY_NAME

DOMAIN = "keystonebuilders.com"
#: The profile's groups: every employee is in the first; project teams grant project access.
ALL_STAFF = "Procore Users"
NESTED = "Field Operations"  # Entra: nested in ALL_STAFF; Okta has no nesting, so members are direct
PROJECTS = [f"{n}" for n in range(1001, 1013)]  # the 12 projects staff work on
PROJECT_IDS = {n: 2783000 + int(n) - 1000 for n in PROJECTS}
SERVICE_ACCOUNT = f"svc-procore-sync@{DOMAIN}"
BREAK_GLASS = f"breakglass.admin@{DOMAIN}"

TEMPLATES = [
    {"id": 1, "name": "Standard Employee", "type": "company_tools", "project_specific": False},
    {"id": 2, "name": "Company Admin", "type": "company_tools", "project_specific": False},
    {"id": 3, "name": "Collaborator", "type": "company_tools", "project_specific": False},
    {"id": 11, "name": "Project Manager", "type": "global", "project_specific": False},
    {"id": 12, "name": "Field Staff", "type": "global", "project_specific": False},
    {"id": 13, "name": "Subcontractor", "type": "global", "project_specific": False},
    {"id": 14, "name": "Owner / Architect", "type": "global", "project_specific": False},
]
TEMPLATE_ID = {t["name"]: t["id"] for t in TEMPLATES}
COMPANY_TEMPLATE = "Standard Employee"

FIRST = ["James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "William",
         "Elizabeth", "Carlos", "Aisha", "Wei", "Priya", "Sean", "Fatima", "Kenji", "Olga", "Tomás",
         "Zoë", "Liam", "Nora", "Omar", "Grace", "Mateo", "Chloe", "Ivan", "Hannah", "Jamal", "Emma"]  # fmt: skip
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
        "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis",
        "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill",
        "Flores", "Green", "O'Brien", "Kowalski", "Schmidt", "Dubois", "Rossi", "Novak"]  # fmt: skip
#: (job title, project role): "pm" staff join project teams as Project Manager, "field" as
#: Field Staff (and sit in the nested group), "office" staff hold no project.
ROLES = [
    ("Project Manager", "pm"), ("Project Engineer", "pm"), ("Superintendent", "field"),
    ("Assistant Superintendent", "field"), ("Field Engineer", "field"), ("Foreman", "field"),
    ("Estimator", "office"), ("Accountant", "office"), ("Safety Manager", "field"),
    ("Project Coordinator", "pm"),
]  # fmt: skip
COLLABORATORS = [("steelworks.com", "Allegheny Steelworks", "Subcontractor"),
                 ("valleyelectric.com", "Valley Electric", "Subcontractor"),
                 ("mechpros.net", "MechPros HVAC", "Subcontractor"),
                 ("arcdesign.com", "Arc Design Architects", "Owner / Architect"),
                 ("penncounty.gov", "Penn County (owner)", "Owner / Architect")]  # fmt: skip

N_STAFF = 300
N_COLLABORATORS = 50
#: Planted cases by staff index (see the module doc).
PLANTED: dict[str, tuple[int, ...]] = {
    "missing": (0, 1, 2, 3),
    "deprovisioned": (4, 5),
    "suspended": (6,),
    "deprovisioned_inactive": (7,),
    "inactive_in_procore": (8, 9),
    "name": (10, 11),
    "job_title": (12, 13, 14),
    "template": (15, 16),
    "access_missing": (17, 18),
    "access_extra": (19, 20),
    "access_other": (21, 22),
    "no_mailbox": (23,),
    "mixed_case": (24,),
}
#: Leavers deleted from the IdP whose Procore accounts stay active.
LEAVERS = [("Derek", "Hollis", "Project Manager"), ("Sandra", "Okafor", "Estimator")]

KEY_COLUMNS = ["object", "kind", "key", "project", "field", "erp_value", "procore_value"]


def _group(project: str, role: str) -> str:
    return f"Project {project} {'Managers' if role == 'pm' else 'Field'}"


def _project_template(role: str) -> str:
    return "Project Manager" if role == "pm" else "Field Staff"


@dataclass
class Person:
    """One employee as HR knows them; each IdP and Procore render it in their own shape."""

    index: int
    first: str
    last: str
    email: str
    title: str
    role: str  # pm | field | office
    projects: list[str]  # the projects the IdP groups grant
    okta_status: str = "ACTIVE"

    @property
    def okta_id(self) -> str:
        return f"00u{self.index:04d}demo"

    @property
    def entra_id(self) -> str:
        return f"{self.index:08d}-0000-4000-8000-0000000de300"

    @property
    def enabled(self) -> bool:
        return self.okta_status == "ACTIVE"

    @property
    def groups(self) -> list[str]:
        return [ALL_STAFF, *(_group(p, self.role) for p in self.projects)]


@dataclass
class Workforce:
    """The demo's people side: IdP seeds, the Procore directory, access.csv, the answer keys."""

    people: list[Person]
    okta: dict[str, Any]
    entra: dict[str, Any]
    #: Added to the Procore seed: users, permission_templates, project_users, project_roles.
    procore: dict[str, Any]
    access_csv: str
    groups: list[str]
    exclude: list[str]
    answer_keys: dict[str, list[dict[str, str]]] = field(default_factory=dict)


def _people(rng: random.Random, staff: int) -> list[Person]:
    out: list[Person] = []
    used: set[str] = set()
    for i in range(staff):
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = (
                f"{first}.{last}".lower()
                .replace("'", "")
                .replace("á", "a")
                .replace("ë", "e")
                .replace("ö", "o")
            )
            local = local.replace("ó", "o").replace("é", "e").replace("ã", "a").replace("ë", "e")
            if local not in used:
                used.add(local)
                break
        title, role = ROLES[i % len(ROLES)]
        k = 0 if role == "office" else rng.choice((1, 1, 2))
        projects = sorted(rng.sample(PROJECTS, k))
        out.append(Person(i, first, last, f"{local}@{DOMAIN}", title, role, projects))
    # Shape the planted people so each plant is what it says.
    for i in PLANTED["access_missing"] + PLANTED["access_extra"] + PLANTED["access_other"]:
        p = out[i]
        p.role, p.title = ("field", "Field Engineer") if i % 2 else ("pm", "Project Engineer")
        p.projects = [PROJECTS[i % len(PROJECTS)]]
    out[0].role, out[0].title, out[0].projects = "field", "Foreman", [PROJECTS[0]]  # nested-only hire
    out[4].role, out[4].title, out[4].projects = "pm", "Project Manager", [PROJECTS[1]]  # holds a role
    for i in PLANTED["deprovisioned"] + PLANTED["deprovisioned_inactive"]:
        out[i].okta_status = "DEPROVISIONED"
    for i in PLANTED["suspended"]:
        out[i].okta_status = "SUSPENDED"
    return out


def _okta(people: list[Person], groups: list[str]) -> dict[str, Any]:
    gids = {
        name: f"00g{n:04d}demo" for n, name in enumerate([*groups, "Everyone", "Procore Users (archived)"])
    }
    members: dict[str, list[str]] = {gid: [] for gid in gids.values()}
    users = []
    for p in people:
        users.append(
            {
                "id": p.okta_id,
                "status": p.okta_status,
                "created": "2024-03-01T12:00:00.000Z",
                "profile": {
                    "firstName": p.first,
                    "lastName": p.last,
                    "email": p.email,
                    "login": p.email,
                    "title": p.title,
                    "department": p.role,
                },
            }
        )
        for g in p.groups:
            members[gids[g]].append(p.okta_id)
        members[gids["Everyone"]].append(p.okta_id)
    members[gids["Procore Users (archived)"]] = [people[7].okta_id]  # a decoy a prefix search also finds
    return {
        "groups": [
            {"id": gid, "type": "OKTA_GROUP", "profile": {"name": name, "description": ""}}
            for name, gid in gids.items()
        ],
        "users": users,
        "members": members,
    }


def _entra(people: list[Person], groups: list[str]) -> dict[str, Any]:
    names = [*groups, NESTED]
    gids = {name: f"{n:08d}-1111-4000-8000-00000000{n:04d}" for n, name in enumerate(names)}
    members: dict[str, list[str]] = {gid: [] for gid in gids.values()}
    members[gids[ALL_STAFF]].append(gids[NESTED])
    members[gids[ALL_STAFF]].append("device-kiosk-1")  # a device: not a user, never counted
    users = []
    for p in people:
        users.append(
            {
                "id": p.entra_id,
                "userPrincipalName": p.email,
                "mail": None if p.index in PLANTED["no_mailbox"] else p.email,
                "givenName": p.first,
                "surname": p.last,
                "jobTitle": p.title,
                "department": p.role,
                "accountEnabled": p.enabled,
                "employeeId": f"E{p.index:05d}",
            }
        )
        for g in p.groups:
            if g == ALL_STAFF and p.role == "field":
                members[gids[NESTED]].append(p.entra_id)  # reached only through the nested group
            else:
                members[gids[g]].append(p.entra_id)
    return {
        "groups": [{"id": gid, "displayName": name} for name, gid in gids.items()],
        "users": users,
        "members": members,
        "devices": [{"id": "device-kiosk-1", "displayName": "Site kiosk"}],
    }


def _procore(people: list[Person], rng: random.Random, collaborators: int) -> dict[str, Any]:
    users: list[dict[str, Any]] = []
    project_users: dict[str, list[dict[str, Any]]] = {str(PROJECT_IDS[n]): [] for n in PROJECTS}
    roles: dict[str, list[dict[str, Any]]] = {}
    next_id = iter(range(8_100_001, 8_200_000))

    def user(email: str, first: str, last: str, title: str | None, **kw: Any) -> dict[str, Any]:
        u = {
            "id": next(next_id),
            "email_address": email,
            "first_name": first,
            "last_name": last,
            "job_title": title,
            "is_active": True,
            "is_employee": True,
            "origin_id": None,
            "vendor": {"id": 9_000_001, "name": COMPANY_NAME},
            "company_permission_template_id": TEMPLATE_ID[COMPANY_TEMPLATE],
            "last_login_at": f"2026-0{rng.randint(1, 9)}-{rng.randint(10, 28)}T14:{rng.randint(10, 59)}:00Z",
            "updated_at": "2026-10-01T09:00:00Z",
            **kw,
        }
        users.append(u)
        return u

    def member(project: str, uid: int, template: str) -> None:
        project_users[str(PROJECT_IDS[project])].append(
            {"user_id": uid, "permission_template_id": TEMPLATE_ID[template]}
        )

    for p in people:
        if p.index in PLANTED["missing"]:
            continue
        email = p.email.title() if p.index in PLANTED["mixed_case"] else p.email
        first, last = p.first, p.last
        title: str | None = p.title
        if p.index == 10:
            first = {"Robert": "Bob", "William": "Bill", "James": "Jim"}.get(first, first[:3])
        if p.index == 11:
            last = last + "-" + "Smith"
        if p.index in (12, 13):
            title = "Senior " + (title or "")
        if p.index == 14:
            title = None
        u = user(email, first, last, title)
        if p.index in PLANTED["inactive_in_procore"] + PLANTED["deprovisioned_inactive"]:
            u["is_active"] = False
        if p.index in PLANTED["template"]:
            u["company_permission_template_id"] = TEMPLATE_ID["Company Admin"]
        if not u["is_active"]:
            continue  # Procore lists active members only
        for proj in p.projects:
            if p.index in PLANTED["access_missing"]:
                continue
            held = _project_template(p.role)
            if p.index in PLANTED["access_other"]:
                held = "Project Manager" if p.role == "field" else "Field Staff"
            member(proj, u["id"], held)
        if p.index in PLANTED["access_extra"]:
            member(PROJECTS[(p.index + 5) % len(PROJECTS)], u["id"], "Field Staff")
        if p.index == 4:  # the deprovisioned PM still holds the project's PM role
            pid = str(PROJECT_IDS[p.projects[0]])
            roles.setdefault(pid, []).append(
                {"id": 70_001, "role": "Project Manager", "name": f"{first} {last}", "user_id": u["id"]}
            )
    for first, last, title in LEAVERS:
        u = user(f"{first}.{last}@{DOMAIN}".lower(), first, last, title)
        member(PROJECTS[5], u["id"], "Project Manager")
        roles.setdefault(str(PROJECT_IDS[PROJECTS[5]]), []).append(
            {"id": 70_002, "role": "Superintendent", "name": f"{first} {last}", "user_id": u["id"]}
        )
    user(SERVICE_ACCOUNT, "Procore", "Sync", "Integration", is_employee=False,
         company_permission_template_id=TEMPLATE_ID["Company Admin"])  # fmt: skip
    user(BREAK_GLASS, "Break", "Glass", None, company_permission_template_id=TEMPLATE_ID["Company Admin"])
    for i in range(collaborators):
        domain, vendor, template = COLLABORATORS[i % len(COLLABORATORS)]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        u = user(
            f"{first[0]}{last}{i}@{domain}".lower().replace("'", ""), first, last, "Project Manager",
            is_employee=False, vendor={"id": 9_100_000 + i % len(COLLABORATORS), "name": vendor},
            company_permission_template_id=TEMPLATE_ID["Collaborator"],
        )  # fmt: skip
        if i % 7 == 3:
            u["is_active"] = False
            continue
        for proj in rng.sample(PROJECTS, 2):
            member(proj, u["id"], template)
    return {
        "users": users,
        "permission_templates": TEMPLATES,
        "project_users": project_users,
        "project_roles": roles,
    }


def _access_csv() -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["idp_group", "procore_project_number", "permission_template"])
    w.writerow([ALL_STAFF, "", COMPANY_TEMPLATE])
    for n in PROJECTS:
        for role in ("pm", "field"):
            w.writerow([_group(n, role), n, _project_template(role)])
    return buf.getvalue()


def _key(people: list[Person], procore: dict[str, Any], idp: str) -> list[dict[str, str]]:
    """The answer key, from the plan of each plant (not by running the diff)."""
    pc = {u["email_address"].lower(): u for u in procore["users"]}
    rows: list[dict[str, str]] = []

    def add(
        kind: str, key: str, *, project: str = "", fld: str = "", erp: str = "", procore: str = ""
    ) -> None:
        rows.append({"object": "user", "kind": kind, "key": key, "project": project, "field": fld,
                     "erp_value": erp, "procore_value": procore})  # fmt: skip

    for p in people:
        name = f"{p.first} {p.last}"
        if p.index in PLANTED["missing"]:
            add("missing_in_procore", p.email, erp=name)
        if p.index in PLANTED["deprovisioned"] + PLANTED["suspended"]:
            add("orphaned", p.email, erp=p.okta_status if idp == "okta" else "disabled", procore="active")
        if p.index in PLANTED["inactive_in_procore"]:
            add("value_mismatch", p.email, fld="is_active", erp="true", procore="false")
        u = pc.get(p.email)
        if p.index in PLANTED["name"] and u is not None:
            add(
                "value_mismatch", p.email, fld="name", erp=name, procore=f"{u['first_name']} {u['last_name']}"
            )
        if p.index in PLANTED["job_title"] and u is not None:
            add("value_mismatch", p.email, fld="job_title", erp=p.title, procore=u["job_title"] or "")
        if p.index in PLANTED["template"]:
            add(
                "value_mismatch",
                p.email,
                fld="permission_template",
                erp=COMPANY_TEMPLATE,
                procore="Company Admin",
            )
        granted = _project_template(p.role)
        if p.index in PLANTED["access_missing"]:
            for proj in p.projects:
                add("access_mismatch", p.email, project=proj, erp=granted)
        if p.index in PLANTED["access_extra"]:
            add(
                "access_mismatch",
                p.email,
                project=PROJECTS[(p.index + 5) % len(PROJECTS)],
                procore="Field Staff",
            )
        if p.index in PLANTED["access_other"]:
            held = "Project Manager" if p.role == "field" else "Field Staff"
            for proj in p.projects:
                add("access_mismatch", p.email, project=proj, erp=granted, procore=held)
    for first, last, _title in LEAVERS:
        add("orphaned", f"{first}.{last}@{DOMAIN}".lower(), erp="absent from the IdP", procore="active")
    return sorted(rows, key=lambda r: (r["kind"], r["key"], r["project"], r["field"]))


def workforce(seed: int = 7, *, staff: int = N_STAFF, collaborators: int = N_COLLABORATORS) -> Workforce:
    """The demo workforce for ``seed``: the same seed always gives the same people and keys.

    ``staff`` (at least 30, so every plant has its person) and ``collaborators`` shrink it for
    quick tests; the planted cases and so the answer keys stay the same.
    """
    if staff < 30:
        raise ValueError("the workforce needs at least 30 staff to hold every planted case")
    rng = random.Random(seed * 7919 + 13)
    people = _people(rng, staff)
    groups = [ALL_STAFF, *(_group(n, r) for n in PROJECTS for r in ("pm", "field"))]
    procore = _procore(people, rng, collaborators)
    w = Workforce(
        people=people,
        okta=_okta(people, groups),
        entra=_entra(people, groups),
        procore=procore,
        access_csv=_access_csv(),
        groups=groups,
        exclude=[SERVICE_ACCOUNT, BREAK_GLASS],
    )
    w.answer_keys = {idp: _key(people, procore, idp) for idp in ("okta", "entra")}
    return w


def write_keys(out: Path, seed: int = 7) -> list[Path]:
    """Write ``people_answer_key_<idp>.csv`` for both IdPs into ``out``; returns the paths."""
    w = workforce(seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for idp, rows in w.answer_keys.items():
        path = out / f"people_answer_key_{idp}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, KEY_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sample_data.people", description="Write the demo workforce's answer keys."
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for people_answer_key_<idp>.csv")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for path in write_keys(args.out, args.seed):
        print(f"wrote {path}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
