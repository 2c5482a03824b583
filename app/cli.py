"""The `tieout` command: one verb per module in app/commands, errors as one sentence.

Every verb runs the same reconcile code the workstation runs; this file only parses
arguments and turns the typed errors of the lower layers into a sentence and an exit
code (shared/interfaces.md section 2). ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from app.commands.common import BAD_INPUT, FAILED, CommandError, warn

#: The verb modules, each with ``register(subparsers)``.
COMMANDS = ("demo", "tui", "login", "pull", "diff", "export", "push", "audit")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tieout", description="Tie out Procore against the ERP: pull, diff, act, export."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"app.commands.{name}")
        module.register(sub)
    return parser


def _bad_input_types() -> tuple[type[BaseException], ...]:
    from mappings import MappingError
    from reconcile.profile import ProfileError
    from reconcile.secrets import SecretMissing
    from reconcile.store import StoreError

    return (ProfileError, MappingError, StoreError, SecretMissing)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
        return code
    except CommandError as exc:
        warn(str(exc))
        return exc.code
    except KeyboardInterrupt:
        warn("Interrupted.")
        return FAILED
    except Exception as exc:  # noqa: BLE001 - the one place errors become sentences
        from adapters.base import AdapterError, AuthError, ResponseError, UnreachableError

        if args.debug:
            traceback.print_exc()
        if isinstance(exc, _bad_input_types()):
            warn(str(exc))
            return BAD_INPUT
        if isinstance(exc, AuthError | UnreachableError | ResponseError):
            warn(str(exc))
            return BAD_INPUT
        if isinstance(exc, AdapterError):
            warn(str(exc))
            return FAILED
        warn(f"Unexpected error ({type(exc).__name__}): {exc}. Run with --debug for the traceback.")
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
