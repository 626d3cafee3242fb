"""The embedding API that docs/embedding.md documents is the one the code has.

Each method signature the page writes in prose (`emit(event, contact=None,
data=None, *, at=None, key=None)`) is compared with `inspect.signature` of
the real method: names, order, defaults and the keyword-only marker. The
engine options table, the clock methods and the exception table are checked
the same way. tests/typing/embedding_usage.py is the typed side: `make lint`
runs mypy over it, so a documented use that stops type-checking fails there.
"""

from __future__ import annotations

import ast
import inspect
import re
import runpy
from pathlib import Path

import pytest

import leadflow
from leadflow import Engine, SimulatedClock

DOC = (Path(__file__).resolve().parents[2] / "docs" / "embedding.md").read_text(encoding="utf-8")

# `name(params)` opening a paragraph or a list item: the page's signature lines.
SIGNATURE = re.compile(r"^(?:- )?`(?P<name>[a-z_]+)\((?P<params>[^`]*)\)(?: -> [^`]+)?`", re.MULTILINE)


def documented_signatures() -> dict[str, str]:
    found = {m["name"]: m["params"] for m in SIGNATURE.finditer(DOC)}
    return {name: params for name, params in found.items() if hasattr(Engine, name)}


def plain(signature: inspect.Signature) -> list[tuple[str, object, object]]:
    """(name, kind, default) of each parameter but `self`."""
    return [(p.name, p.kind, p.default) for p in signature.parameters.values() if p.name != "self"]


def parsed(params: str) -> list[tuple[str, object, object]]:
    """The documented parameter list, read as a Python parameter list."""
    function = ast.parse(f"def f({params}): pass").body[0]
    assert isinstance(function, ast.FunctionDef)
    args = function.args
    positional = [(a.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in args.args]
    defaults = [inspect.Parameter.empty] * (len(positional) - len(args.defaults))
    defaults += [ast.literal_eval(d) for d in args.defaults]
    result = [(name, kind, default) for (name, kind), default in zip(positional, defaults, strict=True)]
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        value = inspect.Parameter.empty if default is None else ast.literal_eval(default)
        result.append((arg.arg, inspect.Parameter.KEYWORD_ONLY, value))
    return result


def test_the_page_documents_the_main_engine_methods() -> None:
    documented = documented_signatures()
    assert {"emit", "emit_many", "import_rows", "deliver", "run_due", "condition", "bind"} <= documented.keys()


@pytest.mark.parametrize("name", sorted(documented_signatures()))
def test_documented_engine_signature_matches_the_code(name: str) -> None:
    documented = documented_signatures()[name]
    assert parsed(documented) == plain(inspect.signature(getattr(Engine, name))), (
        f"docs/embedding.md documents `{name}({documented})`, the code has {inspect.signature(getattr(Engine, name))}"
    )


# Options whose documented default is made anew for each engine from None:
# a SystemClock, an empty secrets mapping, the "leadflow-outbox" directory.
MADE_PER_ENGINE = {"clock", "secrets", "email"}


def test_every_documented_engine_option_is_a_parameter_with_that_default() -> None:
    section = DOC[DOC.index("## Creating an engine") : DOC.index("### Clocks")]
    table = re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", section, re.MULTILINE)
    parameters = inspect.signature(Engine).parameters
    assert len(table) >= 10
    for option, default in table:
        assert option in parameters, f"documented option `{option}` is not a parameter of Engine"
        actual = parameters[option].default
        if option in MADE_PER_ENGINE:
            assert actual is None, option
        else:
            assert actual == ast.literal_eval(default), option


def test_simulated_clock_has_the_documented_methods() -> None:
    assert plain(inspect.signature(SimulatedClock)) == [("start", inspect.Parameter.POSITIONAL_OR_KEYWORD, None)]
    clock = SimulatedClock()
    assert clock.now().isoformat() == "2026-01-01T00:00:00+00:00"
    for method in ("advance", "advance_to", "now"):
        assert callable(getattr(clock, method))


def test_the_documented_exceptions_are_exported_with_the_documented_hierarchy() -> None:
    table = re.findall(r"^\| `(\w+)` \| ", DOC[DOC.index("## Exceptions") :], re.MULTILINE)
    assert {"ScriptError", "InputError", "LeadflowRuntimeError", "BudgetExceeded", "HostError"} <= set(table)
    for name in table:
        assert name in leadflow.__all__
        assert issubclass(getattr(leadflow, name), leadflow.LeadflowError)
    assert issubclass(leadflow.BudgetExceeded, leadflow.LeadflowRuntimeError)
    error = leadflow.LeadflowRuntimeError("boom", where='rule "R"')
    assert (error.message, error.span, error.where) == ("boom", None, 'rule "R"')


def test_the_typed_usage_file_runs() -> None:
    """tests/typing/embedding_usage.py is what mypy checks; here it runs."""
    usage = runpy.run_path(str(Path(__file__).resolve().parents[1] / "typing" / "embedding_usage.py"))
    assert usage["main"]() == [
        "fired ('rule \"Forms count\"',) for record 1",
        "form_submitted.form: a value is required (text)",
        "contact 1: score 40",
        "hot: True",
        "E201: `leed` is not a member of lifecycle's enum",
        "HostError: host function for `extern fn pick_rep` does not match the script: "
        "parameter `team` is int, the script passes text",
        "InputError: no run 99",
    ]
