"""The language server driven as an editor drives it: the real `leadflow lsp`
process, JSON-RPC over its stdio. Positions in the protocol count from 0,
in UTF-16 code units."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from lsp_client import LspClient

SCRIPT = """object contact {
  first_name: text
  lifecycle: enum { subscriber, lead, mql, sql } = subscriber
  score: number = 0
}
object deal { amount: number = 0, owner: contact reverse deals }
event form_submitted { form: text }
list engaged

when form_submitted then {
  set lifecycle = leed
  add to engaged
}
"""
ERROR_LINE = 10  # `  set lifecycle = leed`, counted from 0


@pytest.fixture(scope="module")
def client():
    client = LspClient([sys.executable, "-m", "leadflow", "lsp"])
    client.initialize()
    yield client
    assert client.close() == 0


def open_document(client: LspClient, name: str, text: str, version: int = 1) -> str:
    # each in a folder of its own: the scripts of one folder are checked as one program
    uri = f"file:///tmp/leadflow-lsp-test/{name.removesuffix('.flow')}/{name}"
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "leadflow", "version": version, "text": text}},
    )
    return uri


def position_after(text: str, marker: str) -> dict:
    """The protocol position just after the first `marker` (ASCII text only)."""
    offset = text.index(marker) + len(marker)
    line = text.count("\n", 0, offset)
    return {"line": line, "character": offset - (text.rfind("\n", 0, offset) + 1)}


def test_initialize_advertises_completion_hover_and_sync():
    client = LspClient([sys.executable, "-m", "leadflow", "lsp"])
    try:
        result = client.initialize()
        capabilities = result["capabilities"]
        assert capabilities["hoverProvider"]
        assert "." in capabilities["completionProvider"]["triggerCharacters"]
        assert capabilities["textDocumentSync"]["change"] == 2  # incremental
        assert result["serverInfo"]["name"] == "leadflow"
    finally:
        assert client.close() == 0


def test_an_error_is_published_with_its_range_and_code_then_cleared_when_fixed(client):
    uri = open_document(client, "broken.flow", SCRIPT)
    (diagnostic,) = client.diagnostics(uri, version=1)
    assert diagnostic["code"] == "E201"
    assert diagnostic["severity"] == 1
    assert diagnostic["source"] == "leadflow"
    assert diagnostic["range"] == {
        "start": {"line": ERROR_LINE, "character": 18},
        "end": {"line": ERROR_LINE, "character": 22},
    }
    assert diagnostic["message"].startswith("`leed` is not a member of lifecycle's enum\ndid you mean `lead`?")

    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [
                {
                    "range": {
                        "start": {"line": ERROR_LINE, "character": 18},
                        "end": {"line": ERROR_LINE, "character": 22},
                    },
                    "text": "lead",
                }
            ],
        },
    )
    assert client.diagnostics(uri, version=2) == []


def test_syntax_errors_and_warnings_as_you_type(client):
    uri = open_document(client, "typing.flow", SCRIPT.replace("leed", "lead"))
    assert client.diagnostics(uri, version=1) == []
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": SCRIPT.replace("leed", "")}]},
    )
    (syntax,) = client.diagnostics(uri, version=2)
    assert syntax["code"] == "E100" and syntax["range"]["start"]["line"] == ERROR_LINE + 1
    client.notify(
        "textDocument/didChange",
        {
            "textDocument": {"uri": uri, "version": 3},
            "contentChanges": [{"text": SCRIPT.replace("leed", "lead") + "list vips\n"}],
        },
    )
    (warning,) = client.diagnostics(uri, version=3)
    assert (warning["code"], warning["severity"]) == ("W301", 2)
    assert warning["range"] == {"start": {"line": 13, "character": 5}, "end": {"line": 13, "character": 9}}


def test_columns_are_utf16_code_units(client):
    text = 'object contact { score: number = 0 }\nwhen created then notify "🎉 party" "{scor}"\n'
    uri = open_document(client, "emoji.flow", text)
    (diagnostic,) = client.diagnostics(uri, version=1)
    code_points = text.split("\n")[1].index("scor}")
    assert diagnostic["code"] == "E200"
    # the emoji is one code point but two UTF-16 code units
    assert diagnostic["range"]["start"] == {"line": 1, "character": code_points + 1}
    hover = client.request(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": code_points + 2}}
    )
    assert hover["range"]["start"] == {"line": 1, "character": code_points + 1}  # back in UTF-16


def test_completion_lists_the_enum_members_on_a_line_that_does_not_parse(client):
    text = SCRIPT.replace("  set lifecycle = leed\n", "  set lifecycle = \n")
    uri = open_document(client, "complete.flow", text)
    assert client.diagnostics(uri, version=1)[0]["code"] == "E100"
    result = client.request(
        "textDocument/completion",
        {
            "textDocument": {"uri": uri},
            "position": position_after(text, "set lifecycle = "),
        },
    )
    members = [item["label"] for item in result["items"]]
    assert members == ["subscriber", "lead", "mql", "sql"]
    assert {item["kind"] for item in result["items"]} == {20}  # EnumMember


def test_completion_of_lists_events_and_properties(client):
    text = SCRIPT.replace("leed", "lead") + "when form_submitted then add to \n"
    uri = open_document(client, "names.flow", text)

    def labels(marker: str, in_text: str = text) -> list[str]:
        result = client.request(
            "textDocument/completion", {"textDocument": {"uri": uri}, "position": position_after(in_text, marker)}
        )
        return [item["label"] for item in result["items"]]

    assert labels("then add to ") == ["engaged"]
    changed = SCRIPT.replace("leed", "lead") + "when \n"
    client.notify(
        "textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": changed}]}
    )
    assert "form_submitted" in labels("\nwhen ", changed)
    assert {"matching", "created"} <= set(labels("\nwhen ", changed))
    dotted = SCRIPT.replace("leed", "lead") + "when deal created if owner.\n"
    client.notify(
        "textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": dotted}]}
    )
    assert {"first_name", "lifecycle", "score", "deals"} <= set(labels("owner.", dotted))


def test_hover_shows_a_property_type_and_a_function_signature(client):
    text = SCRIPT.replace("leed", "lead").replace("add to engaged", 'notify "sales" "{upper(first_name ?? "")}"')
    uri = open_document(client, "hover.flow", text)
    hover = client.request(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": ERROR_LINE, "character": 8}}
    )
    assert "lifecycle: enum { subscriber, lead, mql, sql } = subscriber" in hover["contents"]["value"]
    assert hover["contents"]["kind"] == "markdown"
    assert hover["range"] == {
        "start": {"line": ERROR_LINE, "character": 6},
        "end": {"line": ERROR_LINE, "character": 15},
    }
    call = position_after(text, "{upp")
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": call})
    assert "upper(s: text) -> text" in hover["contents"]["value"]


def test_closing_a_document_clears_its_diagnostics(client):
    uri = open_document(client, "closed.flow", SCRIPT)
    assert client.diagnostics(uri, version=1)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert client.diagnostics(uri) == []


def test_the_leadflow_command_serves_too():
    command = shutil.which("leadflow", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip("the `leadflow` console script is not installed next to this Python")
    client = LspClient([command, "lsp", "--stdio"])
    try:
        assert client.initialize()["serverInfo"]["name"] == "leadflow"
    finally:
        assert client.close() == 0


def test_a_document_never_opened_answers_empty_not_a_traceback(client, tmp_path):
    missing = f"file://{tmp_path}/never-written.flow"
    where = {"textDocument": {"uri": missing}, "position": {"line": 0, "character": 0}}
    assert client.request("textDocument/hover", where) is None
    assert client.request("textDocument/completion", where)["items"] == []
    assert not any("Traceback" in line for line in client.stderr)


def test_a_document_never_opened_is_read_from_disk(client, tmp_path):
    script = tmp_path / "on-disk.flow"
    script.write_text(SCRIPT.replace("leed", "lead"), "utf-8")
    hover = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": script.as_uri()}, "position": {"line": ERROR_LINE, "character": 8}},
    )
    assert "lifecycle: enum { subscriber, lead, mql, sql }" in hover["contents"]["value"]


MODEL = """object contact {
  lifecycle: enum { subscriber, lead, mql, sql } = subscriber
}
event form_submitted { form: text }
"""
RULES = "when form_submitted then set lifecycle = lead\n"


def test_a_script_split_across_files_is_checked_with_its_folder(client, tmp_path):
    (tmp_path / "model.flow").write_text(MODEL, "utf-8")
    rules = (tmp_path / "rules.flow").as_uri()
    client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": rules, "languageId": "leadflow", "version": 1, "text": RULES}}
    )
    assert client.diagnostics(rules, version=1) == []  # the event and the property come from model.flow

    # open the model and break it in the editor: the error shows in rules.flow, at its own line
    model = (tmp_path / "model.flow").as_uri()
    client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": model, "languageId": "leadflow", "version": 1, "text": MODEL}}
    )
    assert client.diagnostics(model, version=1) == []
    assert client.diagnostics(rules, version=1) == []  # analysed again with the model as the editor holds it
    client.notify(
        "textDocument/didChange",
        {"textDocument": {"uri": model, "version": 2}, "contentChanges": [{"text": MODEL.replace("lead,", "")}]},
    )
    assert client.diagnostics(model, version=2) == []  # nothing wrong in the model itself
    (diagnostic,) = client.diagnostics(rules, version=1)
    assert diagnostic["code"] == "E201"
    assert diagnostic["range"]["start"] == {"line": 0, "character": 41}

    # closing the model's buffer: rules.flow reads model.flow as saved again
    client.notify("textDocument/didClose", {"textDocument": {"uri": model}})
    assert client.diagnostics(model) == []
    assert client.diagnostics(rules, version=1) == []
