"""`tieout login`: ask for the secrets and keep them in the OS keyring.

Which secrets depends on the profile: Procore always; the ERP's when it has ``[erp]``; the
identity provider's (the Okta API token or the Entra client secret) when it has ``[people]``
with Okta or Entra. A people-only profile (an IT admin's) asks for Procore and the IdP only.
"""

from __future__ import annotations

import argparse
import getpass

from app.commands.common import OK, CommandError, add_profile_arg, say
from reconcile.profile import Profile, load_profile
from reconcile.secrets import ENV, Side, keyring_username, set_secret


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("login", help="store the secrets in the OS keyring")
    add_profile_arg(p)
    p.add_argument("--side", choices=["procore", "erp", "idp"], action="append", help="only this side")
    p.set_defaults(handler=handle)


def profile_sides(profile: Profile) -> list[Side]:
    """The sides whose secret this profile needs."""
    sides: list[Side] = ["procore"]
    if profile.erp_section is not None:
        sides.append("erp")
    if profile.people is not None and profile.people.idp != "csv":
        sides.append("idp")
    return sides


def _prompt(profile: Profile, side: Side) -> str:
    if side == "procore":
        return f"procore client secret for {profile.procore.client_id}: "
    if side == "erp":
        return f"erp client secret for {profile.erp.principal}: "
    people = profile.people
    if people is None or people.idp == "csv":
        where = profile.source_path or profile.name
        raise CommandError(
            f"Profile {where} reads no identity provider ([people] idp okta or entra); no idp secret."
        )
    if people.idp == "okta":
        return f"Okta API token for {people.base_url}: "
    return f"Entra client secret for {people.client_id}: "


def handle(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    sides: list[Side] = args.side or profile_sides(profile)
    for side in sides:
        value = getpass.getpass(_prompt(profile, side))
        if not value:
            raise CommandError(f"No {side} secret given; nothing stored.")
        try:
            set_secret(profile.name, side, value)
        except Exception as exc:  # noqa: BLE001 - any keyring backend failure
            raise CommandError(
                f"The OS keyring refused the secret ({type(exc).__name__}); "
                f"for cron/CI set {ENV[side]} instead."
            ) from None
        say(f"Stored the {side} secret in the keyring as tieout/{keyring_username(profile.name, side)}.")
    return OK
