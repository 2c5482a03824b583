"""Secrets: the OS keyring, with environment variables as the override for cron and CI.

Secrets are held as ``Secret`` so an accidental ``print``, log line or traceback
shows ``Secret('****')`` rather than the value.
"""

from __future__ import annotations

import os
from typing import Literal

from adapters.secret import Secret

__all__ = [
    "ENV",
    "SERVICE",
    "Secret",
    "SecretMissing",
    "Side",
    "get_secret",
    "keyring_username",
    "set_secret",
]

Side = Literal["procore", "erp", "idp"]
SERVICE = "tieout"
#: ``idp`` is the Okta API token or the Entra client secret of a profile's ``[people]`` section.
ENV = {
    "procore": "TIEOUT_PROCORE_CLIENT_SECRET",
    "erp": "TIEOUT_ERP_CLIENT_SECRET",
    "idp": "TIEOUT_IDP_SECRET",
}


class SecretMissing(Exception):
    """No secret for a side in either the environment or the keyring."""


def keyring_username(profile_name: str, side: Side) -> str:
    """The keyring username of the contract: ``<profile name>:<side>``."""
    return f"{profile_name}:{side}"


def get_secret(profile_name: str, side: Side) -> Secret:
    """The client secret for one side: the environment wins, then the keyring."""
    value = os.environ.get(ENV[side])
    if value:
        return Secret(value)
    try:
        import keyring
        import keyring.errors

        value = keyring.get_password(SERVICE, keyring_username(profile_name, side))
    except Exception as exc:  # noqa: BLE001 - any backend failure means "not available"
        raise SecretMissing(
            f"No {side} secret: {ENV[side]} is not set and the keyring is unavailable ({type(exc).__name__})."
        ) from None
    if not value:
        raise SecretMissing(
            f"No {side} secret for profile {profile_name!r}: run `tieout login` or set {ENV[side]}."
        )
    return Secret(value)


def set_secret(profile_name: str, side: Side, value: str) -> None:
    """Store a secret in the OS keyring (``tieout login``)."""
    import keyring

    keyring.set_password(SERVICE, keyring_username(profile_name, side), value)
