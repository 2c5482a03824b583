"""`tieout login`: ask for the client secrets and keep them in the OS keyring."""

from __future__ import annotations

import argparse
import getpass

from app.commands.common import OK, CommandError, add_profile_arg, say
from reconcile.profile import load_profile
from reconcile.secrets import Side, keyring_username, set_secret


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("login", help="store the client secrets in the OS keyring")
    add_profile_arg(p)
    p.add_argument("--side", choices=["procore", "erp"], action="append", help="only this side")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    sides: list[Side] = args.side or ["procore", "erp"]
    for side in sides:
        client = profile.procore.client_id if side == "procore" else profile.erp.principal
        value = getpass.getpass(f"{side} client secret for {client}: ")
        if not value:
            raise CommandError(f"No {side} secret given; nothing stored.")
        try:
            set_secret(profile.name, side, value)
        except Exception as exc:  # noqa: BLE001 - any keyring backend failure
            raise CommandError(
                f"The OS keyring refused the secret ({type(exc).__name__}); "
                f"for cron/CI set TIEOUT_{side.upper()}_CLIENT_SECRET instead."
            ) from None
        say(f"Stored the {side} secret in the keyring as tieout/{keyring_username(profile.name, side)}.")
    return OK
