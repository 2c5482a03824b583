"""The `tieout` command: one verb per module in app/commands, errors as one sentence.

Every verb runs the same reconcile code the workstation runs; this file only parses
arguments and turns the typed errors of the lower layers into a sentence and an exit
code (shared/interfaces.md section 2). ``--debug`` adds the traceback. An error the user
cannot act on (a bug) is logged with its traceback to the log file (``app.logs``), and the
sentence says where that file is.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from app.commands.common import BAD_INPUT, FAILED, CommandError, warn
from app.logs import get_logger, log_path, setup_logging

#: The verb modules, each with ``register(subparsers)``.
COMMANDS = ("demo", "tui", "login", "pull", "diff", "export", "push", "audit", "close")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tieout",
        description="Tie out Procore against the ERP: pull, diff, act, export.",
        epilog=f"Log file: {log_path()} (rotated at 2 MB, five old files kept; TIEOUT_STATE_DIR moves it).",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"app.commands.{name}")
        module.register(sub)
    return parser


def _bad_input_types() -> tuple[type[BaseException], ...]:
    from mappings import MappingError
    from reconcile.export import ExportError
    from reconcile.profile import ProfileError
    from reconcile.secrets import SecretMissing
    from reconcile.store import StoreError

    return (ProfileError, MappingError, StoreError, SecretMissing, ExportError)


def main(argv: Sequence[str] | None = None) -> int:
    logged_to = setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    log = get_logger("cli")
    try:
        code: int = args.handler(args)
        return code
    except CommandError as exc:
        warn(str(exc))
        return exc.code
    except KeyboardInterrupt:
        warn("Interrupted.")
        return FAILED
    except BrokenPipeError:
        # stdout was closed (`tieout audit show | head`): nothing left to say to anyone.
        return FAILED
    except Exception as exc:  # noqa: BLE001 - the one place errors become sentences
        from adapters.base import AdapterError, AuthError, ResponseError, UnreachableError

        if args.debug:
            traceback.print_exc()
        if isinstance(exc, _bad_input_types() + (AuthError, UnreachableError, ResponseError)):
            log.warning("tieout %s: %s", args.command, exc)
            warn(str(exc))
            return BAD_INPUT
        if isinstance(exc, AdapterError):
            log.warning("tieout %s: %s", args.command, exc)
            warn(str(exc))
            return FAILED
        log.exception("tieout %s failed unexpectedly", args.command)
        where = (
            f"its traceback is in {logged_to}" if logged_to else "run again with --debug for the traceback"
        )
        warn(f"Unexpected error ({type(exc).__name__}): this is a bug in Tieout; {where}.")
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
