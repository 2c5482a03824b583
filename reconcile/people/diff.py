"""The people diff: the IdP's workforce against the Procore company directory. Pure, no I/O.

Exactly the rules of shared/interfaces.md section 6:

- keys are lower-case e-mail; the population is the IdP users reachable from the profile's
  ``groups``; disabled is Okta SUSPENDED/DEPROVISIONED, Entra ``accountEnabled`` false, a roster
  status other than Active; ``exclude`` silences every row of a user;
- ``missing_in_procore``: enabled in scope, no Procore user (active or inactive) has the e-mail;
- ``value_mismatch`` ``is_active``: enabled in scope, the Procore user inactive;
- ``value_mismatch`` ``name``, ``job_title``, ``permission_template`` (the company template
  ``access.csv`` grants; no grant, no comparison): enabled in scope and active in Procore;
- ``orphaned``: active in Procore, domain exactly one of ``sso_domains``, not enabled in scope.
  Outside collaborators (any other domain) never are;
- ``access_mismatch``: one row per user and project, for users enabled in scope, active in
  Procore and in ``sso_domains``, where the project template ``access.csv`` grants differs from
  the membership (missing, extra, or another template). Only the profile's projects count.

``erp_value`` holds the IdP's side (its status for ``orphaned``), ``procore_value`` Procore's.
Ids follow the money side (``reconcile.diff.frame.exception_id``); an ``access_mismatch`` carries
its project in the id's identity (``<email>/<project number>`` as the key hashed), so each
project's row keeps its own decision.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from mappings.access import AccessTable
from mappings.errors import MappingError
from reconcile.diff.frame import EXCEPTION_SCHEMA, detail, empty_exceptions, exception_id, rows
from reconcile.people.schema import PEOPLE_TABLES
from reconcile.people.settings import PeopleSettings

PEOPLE_KINDS = ("missing_in_procore", "value_mismatch", "orphaned", "access_mismatch")
COMPARED = ("is_active", "name", "job_title", "permission_template")


def _conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    schema = PEOPLE_TABLES[name]
    return frame.select(
        [pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c) for c, t in schema.items()]
    )


def _domain(col: str = "email") -> pl.Expr:
    return pl.col(col).str.split("@").list.last()


def _idp(idp_users: pl.DataFrame) -> pl.DataFrame:
    """One row per e-mail; where the IdP holds two accounts, the enabled one speaks, groups merge."""
    f = _conform("idp_users", idp_users).with_columns(pl.col("email").str.strip_chars().str.to_lowercase())
    f = f.filter(pl.col("email").is_not_null() & (pl.col("email") != ""))
    f = f.sort(["email", "enabled", "idp_id"], descending=[False, True, False], nulls_last=True)
    keep = [c for c in f.columns if c not in ("email", "groups")]
    return f.group_by("email", maintain_order=True).agg(
        *[pl.col(c).first() for c in keep], pl.col("groups").explode().drop_nulls().unique().sort()
    )


def _procore(users: pl.DataFrame) -> pl.DataFrame:
    """One row per e-mail; an active account wins over an inactive one."""
    f = _conform("procore_users", users).with_columns(pl.col("email").str.strip_chars().str.to_lowercase())
    f = f.filter(pl.col("email").is_not_null() & (pl.col("email") != ""))
    return f.sort(["email", "is_active", "id"], descending=[False, True, False], nulls_last=True).unique(
        "email", keep="first", maintain_order=True
    )


def _grants(users: pl.DataFrame, access: AccessTable, *, company: bool) -> pl.DataFrame:
    """(email, project, template, lines) each user's groups grant; two templates for one place is an error."""
    table = access.rows.filter(pl.col("project").is_null() if company else pl.col("project").is_not_null())
    exploded = users.select("email", pl.col("groups").alias("idp_group")).explode("idp_group")
    joined = exploded.join(table, on="idp_group", how="inner")
    per = joined.group_by("email", "project").agg(
        pl.col("template").unique().sort().alias("templates"), pl.col("line").sort().alias("lines")
    )
    clash = per.filter(pl.col("templates").list.len() > 1).sort("email", "project")
    if clash.height:
        row = clash.row(0, named=True)
        lines = sorted(
            {
                int(x)
                for x in joined.filter(
                    (pl.col("email") == row["email"]) & pl.col("project").eq_missing(pl.lit(row["project"]))
                )["line"]
            }
        )
        what = f"project {row['project']}" if row["project"] else "the company template"
        raise MappingError(
            access.label,
            lines[-1],
            f"{row['email']} is in groups that grant different templates for {what} "
            f"({', '.join(row['templates'])}; lines {', '.join(map(str, lines))}).",
        )
    return per.select("email", "project", pl.col("templates").list.first().alias("template"), "lines")


def diff_people(
    idp_users: pl.DataFrame,
    procore_users: pl.DataFrame,
    memberships: pl.DataFrame,
    access: AccessTable | None,
    settings: PeopleSettings,
    project_numbers: Collection[str],
) -> pl.DataFrame:
    """Exceptions (``EXCEPTION_SCHEMA``, object ``user``) between the IdP and the Procore directory.

    ``project_numbers``: the profile's Procore projects; grants and memberships elsewhere are
    not compared. Without ``access`` (no access.csv) neither the company template nor project
    access is reviewed: an empty table would call every membership extra. Raises
    ``MappingError`` when one user's groups grant two templates for one place.
    """
    exclude = [e.lower() for e in settings.exclude]
    sso = [d.lower() for d in settings.sso_domains]
    idp_all = _idp(idp_users)
    in_groups = (
        pl.col("groups").list.eval(pl.element().is_in(settings.groups)).list.any()
        if settings.groups
        else pl.lit(True)
    )
    idp_all = idp_all.with_columns(in_groups.fill_null(False).alias("in_population"))
    enabled = idp_all.filter(
        pl.col("in_population") & pl.col("enabled").fill_null(False) & ~pl.col("email").is_in(exclude)
    )
    pc = _procore(procore_users).filter(~pl.col("email").is_in(exclude))
    pc_active = pc.filter(pl.col("is_active").fill_null(False))
    both = enabled.join(pc, on="email", how="inner", suffix="_pc")
    active_both = both.filter(pl.col("is_active").fill_null(False))
    refs = {"idp_id": pl.col("idp_id"), "procore_id": pl.col("id")}
    parts: list[pl.LazyFrame] = []

    # -- missing_in_procore ---------------------------------------------------------------
    idp_name = pl.concat_str(
        [pl.col("given_name").fill_null(""), pl.col("family_name").fill_null("")], separator=" "
    )
    parts.append(
        rows(
            enabled.join(pc, on="email", how="anti").lazy(),
            object="user",
            kind="missing_in_procore",
            key=pl.col("email"),
            erp_value=idp_name,
            rule="user.missing_in_procore",
            detail=detail(idp_id=pl.col("idp_id"), status=pl.col("status")),
        )
    )
    # -- value_mismatch -------------------------------------------------------------------
    parts.append(
        rows(
            both.filter(~pl.col("is_active").fill_null(False)).lazy(),
            object="user",
            kind="value_mismatch",
            key=pl.col("email"),
            field="is_active",
            erp_value=pl.lit("true"),
            procore_value=pl.lit("false"),
            rule="user.is_active",
            detail=detail(**refs),
        )
    )
    pc_name = pl.concat_str(
        [pl.col("first_name").fill_null(""), pl.col("last_name").fill_null("")], separator=" "
    )
    named = active_both.with_columns(idp_name.alias("_idp_name"), pc_name.alias("_pc_name"))
    parts.append(
        rows(
            named.filter(pl.col("_idp_name") != pl.col("_pc_name")).lazy(),
            object="user",
            kind="value_mismatch",
            key=pl.col("email"),
            field="name",
            erp_value=pl.col("_idp_name"),
            procore_value=pl.col("_pc_name"),
            rule="user.name",
            detail=detail(**refs),
        )
    )
    titled = active_both.with_columns(
        pl.col("job_title").fill_null("").alias("_idp_title"),
        pl.col("job_title_pc").fill_null("").alias("_pc_title"),
    )
    parts.append(
        rows(
            titled.filter(pl.col("_idp_title") != pl.col("_pc_title")).lazy(),
            object="user",
            kind="value_mismatch",
            key=pl.col("email"),
            field="job_title",
            erp_value=pl.col("_idp_title"),
            procore_value=pl.col("_pc_title"),
            rule="user.job_title",
            detail=detail(**refs),
        )
    )
    if access is not None:  # no access.csv: no template to expect
        company = _grants(active_both, access, company=True).select("email", "template", "lines")
        templated = active_both.join(company, on="email", how="inner")
        parts.append(
            rows(
                templated.filter(pl.col("template").ne_missing(pl.col("company_template"))).lazy(),
                object="user",
                kind="value_mismatch",
                key=pl.col("email"),
                field="permission_template",
                erp_value=pl.col("template"),
                procore_value=pl.col("company_template"),
                rule="user.permission_template",
                detail=detail(**refs, access_lines=pl.col("lines")),
            )
        )
    # -- orphaned -------------------------------------------------------------------------
    orphans = (
        pc_active.filter(_domain().is_in(sso))
        .join(enabled.select("email"), on="email", how="anti")
        .join(idp_all.select("email", "status", "enabled", "in_population", "idp_id"), on="email", how="left")
    )
    idp_status = (
        pl.when(pl.col("status").is_null())
        .then(pl.lit("absent from the IdP"))
        .when(~pl.col("in_population"))
        .then(pl.lit("in no profile group"))
        .otherwise(pl.col("status"))
    )
    parts.append(
        rows(
            orphans.lazy(),
            object="user",
            kind="orphaned",
            key=pl.col("email"),
            erp_value=idp_status,
            procore_value=pl.lit("active"),
            rule="user.orphaned",
            detail=detail(
                procore_id=pl.col("id"), idp_id=pl.col("idp_id"), last_login_at=pl.col("last_login_at")
            ),
        )
    )
    if access is not None:  # no access.csv: no access review
        # -- access_mismatch ------------------------------------------------------------------
        numbers = list(project_numbers)
        reviewed = active_both.filter(_domain().is_in(sso))
        granted = _grants(reviewed, access, company=False).filter(pl.col("project").is_in(numbers))
        held = (
            _conform("procore_memberships", memberships)
            .filter(pl.col("project_number").is_in(numbers))
            .join(reviewed.select("email", pl.col("id").alias("user_id")), on="user_id", how="inner")
            .select(
                "email",
                pl.col("project_number").alias("project"),
                pl.col("template").alias("held"),
                "project_id",
            )
            .unique(["email", "project"], keep="first", maintain_order=True)
        )
        access_rows = granted.join(held, on=["email", "project"], how="full", coalesce=True).filter(
            pl.col("template").ne_missing(pl.col("held"))
        )
        parts.append(
            rows(
                access_rows.lazy(),
                object="user",
                kind="access_mismatch",
                key=pl.col("email"),
                project=pl.col("project"),
                erp_value=pl.col("template"),
                procore_value=pl.col("held"),
                rule="user.access",
                detail=detail(project_id=pl.col("project_id"), access_lines=pl.col("lines")),
            )
        )
    return finish(parts)


def people_exception_id(email: str, kind: str, field: str | None, project: str | None) -> str:
    """The stable id of a people exception; a project is part of an ``access_mismatch``'s identity."""
    key = f"{email}/{project}" if kind == "access_mismatch" and project else email
    return exception_id("user", key, kind, field)


def finish(parts: list[pl.LazyFrame]) -> pl.DataFrame:
    """Collect the findings, give each its stable id, and order them."""
    frames = [f for f in pl.collect_all(parts) if f.height]
    if not frames:
        return empty_exceptions()
    found = pl.concat(frames, how="vertical")
    ids = [
        people_exception_id(e, k, f, p)
        for e, k, f, p in zip(found["key"], found["kind"], found["field"], found["project"], strict=True)
    ]
    out = found.with_columns(pl.Series("exception_id", ids, pl.String))
    return (
        out.select(list(EXCEPTION_SCHEMA))
        .sort("key", "kind", "field", "project", nulls_last=True)
        .unique("exception_id", keep="first", maintain_order=True)
    )
