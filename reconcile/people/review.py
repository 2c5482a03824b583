"""The quarterly access review an auditor asks for: every in-scope user, both sides, one row each.

In scope: the IdP users the profile's groups reach, and every Procore account in one of the
``sso_domains`` (the accounts the company's SSO is answerable for). For each: the IdP's status,
Procore's status, the company template and the projects with their templates, and how many
exceptions of that user are open. The exceptions themselves, with their decisions, travel
beside it (``tieout export --object user``); the audit chain's head is on the summary sheet.
"""

from __future__ import annotations

import polars as pl

from reconcile.people.snapshot import load_people
from reconcile.profile import Profile
from reconcile.store import Store

REVIEW_COLUMNS = (
    "email",
    "idp_name",
    "idp_id",
    "idp_status",
    "idp_enabled",
    "idp_groups",
    "procore_id",
    "procore_name",
    "procore_status",
    "is_employee",
    "company_template",
    "projects",
    "last_login_at",
    "excluded",
    "open_exceptions",
)


def access_review(store: Store, profile: Profile) -> pl.DataFrame:
    """One row per in-scope user (``REVIEW_COLUMNS``), by e-mail."""
    people = profile.people
    assert people is not None, "callers check for [people]"
    snap = load_people(store, profile)
    idp = snap.idp_users.with_columns(pl.col("email").str.to_lowercase())
    if people.groups:
        idp = idp.filter(pl.col("groups").list.eval(pl.element().is_in(people.groups)).list.any())
    idp = idp.sort("enabled", descending=True, nulls_last=True).unique("email", keep="first")
    users = snap.directory["procore_users"].filter(pl.col("email").is_not_null())
    users = users.sort("is_active", descending=True, nulls_last=True).unique("email", keep="first")
    sso = [d.lower() for d in people.sso_domains]
    in_sso = pl.col("email").str.split("@").list.last().is_in(sso)
    members = snap.directory["procore_memberships"]
    projects = (
        members.sort("project_number")
        .group_by("user_id")
        .agg(
            pl.concat_str(
                [pl.col("project_number").fill_null("?"), pl.col("template").fill_null("(no template)")],
                separator=": ",
            )
            .str.join("; ")
            .alias("projects")
        )
    )
    pc = users.join(projects, left_on="id", right_on="user_id", how="left").select(
        "email",
        pl.col("id").alias("procore_id"),
        pl.concat_str([pl.col("first_name").fill_null(""), pl.col("last_name").fill_null("")], separator=" ")
        .str.strip_chars()
        .alias("procore_name"),
        pl.when(pl.col("is_active").fill_null(False))
        .then(pl.lit("active"))
        .otherwise(pl.lit("inactive"))
        .alias("procore_status"),
        "is_employee",
        pl.col("company_template"),
        pl.col("projects").fill_null(""),
        "last_login_at",
    )
    idp_side = idp.select(
        "email",
        pl.concat_str(
            [pl.col("given_name").fill_null(""), pl.col("family_name").fill_null("")], separator=" "
        )
        .str.strip_chars()
        .alias("idp_name"),
        "idp_id",
        pl.col("status").alias("idp_status"),
        pl.col("enabled").alias("idp_enabled"),
        pl.col("groups").list.sort().list.join("; ").alias("idp_groups"),
    )
    scope = pl.concat(
        [idp_side.select("email"), users.filter(in_sso).select("email")], how="vertical"
    ).unique()
    found = store.query(
        "SELECT key AS email, CAST(count(*) AS BIGINT) AS open_exceptions FROM exceptions "
        "WHERE object = 'user' AND is_open GROUP BY key"
    )
    counts = found.cast({"email": pl.String, "open_exceptions": pl.Int64}) if found.height else None
    out = (
        scope.join(idp_side, on="email", how="left")
        .join(pc, on="email", how="left")
        .with_columns(
            pl.col("idp_status").fill_null("absent from the IdP"),
            pl.col("procore_status").fill_null("no account"),
            pl.col("email").is_in(list(people.exclude)).alias("excluded"),
        )
    )
    out = (
        out.join(counts, on="email", how="left")
        if counts is not None
        else out.with_columns(pl.lit(None, pl.Int64).alias("open_exceptions"))
    )
    return out.with_columns(pl.col("open_exceptions").fill_null(0)).select(REVIEW_COLUMNS).sort("email")
