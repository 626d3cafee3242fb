"""`--seed` and `--hosts` of the commands that run scripts (run, repl, test, explain).

An embedding program binds its `extern fn`s with `Engine.bind`; on the command
line `--hosts MODULE` does it: MODULE is a dotted module name importable from
the working directory, or the path of a .py file, and each of its functions
whose name is that of an `extern fn` is bound to it, checked against the
declaration as `Engine.bind` checks it. A module that fails to import, or a
function that does not fit its declaration, is a usage error (exit 2).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType

import click

from leadflow.errors import HostError

HostFunctions = Mapping[str, Callable]


def load_hosts(ctx, param, spec: str | None) -> HostFunctions | None:
    """The --hosts callback: the module's functions by name (what is not a function
    it may import or define, such as a class or a constant, is left out)."""
    if spec is None:
        return None
    module = _import(spec)
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and callable(value) and not isinstance(value, type)
    }


def _import(spec: str) -> ModuleType:
    is_path = spec.endswith(".py") or os.sep in spec or "/" in spec
    try:
        if is_path:
            path = Path(spec)
            if not path.is_file():
                raise click.BadParameter(f"no file {spec}", param_hint="'--hosts'")
            spec_ = importlib.util.spec_from_file_location(f"leadflow_hosts_{path.stem}", path)
            if spec_ is None or spec_.loader is None:
                raise click.BadParameter(f"{spec} cannot be imported as a module", param_hint="'--hosts'")
            module = importlib.util.module_from_spec(spec_)
            spec_.loader.exec_module(module)
            return module
        # the working directory first, as `python -m` would have it, for this import only
        sys.path.insert(0, os.getcwd())
        try:
            return importlib.import_module(spec)
        finally:
            sys.path.remove(os.getcwd())
    except click.BadParameter:
        raise
    except (Exception, SystemExit) as error:  # the host module's own code ran: anything may fail
        raise click.BadParameter(
            f"cannot import {spec}: {type(error).__name__}: {error}", param_hint="'--hosts'"
        ) from None


def check_hosts(checked, hosts: HostFunctions | None) -> None:
    """Before any engine opens a database: each function of `hosts` named as an `extern fn`
    of the checked program must fit its declaration (the check of `Engine.bind`)."""
    from leadflow.interpreter.hosts import host_mismatch

    for name, signature in checked.externs.items():
        problem = host_mismatch(hosts[name], signature) if hosts and name in hosts else None
        if problem:
            raise click.BadParameter(
                f"host function for `extern fn {name}` does not match the script: {problem}", param_hint="'--hosts'"
            )


def bind_hosts(engine, hosts: HostFunctions | None) -> None:
    """Bind each function of `hosts` named as an `extern fn` of the engine's script."""
    for name in engine.checked.externs:
        if hosts and name in hosts:
            try:
                engine.bind(name, hosts[name])
            except HostError as error:
                raise click.BadParameter(error.message, param_hint="'--hosts'") from None


host_options = [
    click.option(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="Seed of random(), random_int() and random splits, for reproducible runs (also read from LEADFLOW_SEED).",
    ),
    click.option(
        "--hosts",
        callback=load_hosts,
        default=None,
        metavar="MODULE",
        help="A Python module (dotted name, or path to a .py file) whose functions are bound "
        "to the script's `extern fn`s of the same names.",
    ),
]


def with_host_options(f):
    for option in reversed(host_options):
        f = option(f)
    return f
