"""``rnpc``: entry point, error handling and logging set-up.

Each subcommand lives in its own module of this package and exposes ``register(subparsers)``,
which adds its parser and sets ``func=run`` (a callable taking the parsed args and returning an
exit status). Modules are imported lazily per command so that ``rnpc --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# (command name, module), in the order --help shows them. The module's register() builds the
# parser; command modules import heavy dependencies inside run(), so --help stays fast.
COMMANDS = [
    ("info", "rnpc_radiomics.cli.info"),
    ("convert", "rnpc_radiomics.cli.convert"),
    ("extract", "rnpc_radiomics.cli.extract"),
    ("maps", "rnpc_radiomics.cli.maps"),
    ("signs", "rnpc_radiomics.cli.signs"),
    ("phantom", "rnpc_radiomics.cli.phantom"),
    ("conformance", "rnpc_radiomics.cli.conformance"),
]

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    from rnpc_radiomics import __version__

    parser = argparse.ArgumentParser(
        prog="rnpc",
        description="rnpc-radiomics: radiomics and imaging signs for recurrent nasopharyngeal "
                    "carcinoma vs post-radiation necrosis (HRCT, contrast MRI, PET-CT).",
    )
    parser.add_argument("--version", action="version", version=f"rnpc-radiomics {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="show progress/info logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for _name, modname in COMMANDS:
        importlib.import_module(modname).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    level = logging.DEBUG if args.debug else (logging.INFO if args.verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")

    from rnpc_radiomics.errors import InputError

    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FileNotFoundError as exc:
        if args.debug:
            raise
        print(f"error: file not found ({exc.filename}): check the path.", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
