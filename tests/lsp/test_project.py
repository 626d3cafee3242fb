"""A script split across files: which files a document is checked with, and
its analysis together with them (only its own diagnostics, at its own lines)."""

from __future__ import annotations

from pathlib import Path

from leadflow.lsp.analysis import analyse_text
from leadflow.lsp.completion import complete
from leadflow.lsp.hover import hover
from leadflow.lsp.project import project_files

MODEL = """object contact {
  lifecycle: enum { subscriber, lead, mql } = subscriber
}
event form_submitted { form: text }
list engaged
"""
RULES = """when form_submitted then {
  set lifecycle = lead
  add to engaged
}
"""


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, "utf-8")


def test_the_folder_is_the_project_without_a_project_file(tmp_path):
    write(tmp_path, {"model.flow": MODEL, "rules.flow": RULES, "notes.txt": "", "sub/other.flow": ""})
    assert project_files(tmp_path / "rules.flow") == [tmp_path / "model.flow", tmp_path / "rules.flow"]
    # a document not saved yet still belongs to its folder
    assert project_files(tmp_path / "new.flow") == [
        tmp_path / "model.flow",
        tmp_path / "new.flow",
        tmp_path / "rules.flow",
    ]


def test_a_project_file_names_the_scripts_in_its_order(tmp_path):
    write(
        tmp_path,
        {
            "leadflow.toml": 'scripts = ["src/model.flow", "src/rules/*.flow"]\n',
            "src/model.flow": MODEL,
            "src/rules/b.flow": RULES,
            "src/rules/a.flow": "",
            "src/scratch.flow": "",
        },
    )
    expected = [tmp_path / "src/model.flow", tmp_path / "src/rules/a.flow", tmp_path / "src/rules/b.flow"]
    assert project_files(tmp_path / "src/rules/b.flow") == expected
    assert project_files(tmp_path / "src/model.flow") == expected
    # a script the project file does not name is checked with its folder
    assert project_files(tmp_path / "src/scratch.flow") == [tmp_path / "src/model.flow", tmp_path / "src/scratch.flow"]


def test_a_broken_project_file_leaves_the_folder_rule(tmp_path):
    write(tmp_path, {"leadflow.toml": "scripts = [", "model.flow": MODEL, "rules.flow": RULES})
    assert project_files(tmp_path / "rules.flow") == [tmp_path / "model.flow", tmp_path / "rules.flow"]
    write(tmp_path, {"leadflow.toml": 'scripts = ["/etc/*.flow", 3, "rules.flow"]'})
    assert project_files(tmp_path / "rules.flow") == [tmp_path / "rules.flow"]


def test_names_declared_in_a_neighbour_are_known():
    alone = analyse_text(RULES, "/p/rules.flow")
    assert alone.diagnostics  # the event, the property and the list are unknown without the model
    together = analyse_text(RULES, "/p/rules.flow", others={"/p/model.flow": MODEL, "/p/rules.flow": RULES})
    assert together.diagnostics == ()
    offered = [item.label for item in complete(together.model, RULES[: RULES.index("lead")])]
    assert offered == ["subscriber", "lead", "mql"]
    found = hover(together, 2, 8)  # `lifecycle`, declared in the other file
    assert found is not None and "property of `contact`" in found[0]


def test_only_the_documents_own_diagnostics_at_its_own_lines():
    model = MODEL + "when form_submitted then set lifecycle = leed\n"  # an error in the neighbour
    rules = "\n\n" + RULES.replace("lead", "mqll")
    analysis = analyse_text(rules, "/p/rules.flow", others={"/p/model.flow": model})
    (diagnostic,) = analysis.diagnostics
    assert diagnostic.code == "E201" and diagnostic.span.file == "/p/rules.flow"
    assert (diagnostic.span.line, diagnostic.span.column) == (4, 19)


def test_a_declaration_made_twice_is_reported_where_check_reports_it():
    # `leadflow check model.flow rules.flow` reports the second one, in rules.flow
    twice = "list engaged\n" + RULES
    first = analyse_text(MODEL, "/p/model.flow", others={"/p/model.flow": MODEL, "/p/rules.flow": twice})
    second = analyse_text(twice, "/p/rules.flow", others={"/p/model.flow": MODEL, "/p/rules.flow": twice})
    assert first.diagnostics == ()
    assert [(d.code, d.span.line) for d in second.diagnostics] == [("E300", 1)]


def test_a_broken_document_still_completes_from_its_neighbours():
    typing = "when form_submitted then set lifecycle = "
    broken = analyse_text(typing, "/p/rules.flow", others={"/p/model.flow": MODEL})
    assert [d.code for d in broken.diagnostics] == ["E100"]
    assert [item.label for item in complete(broken.model, typing)] == ["subscriber", "lead", "mql"]


def test_a_neighbour_that_does_not_parse_gives_what_does():
    model = MODEL + "when form_submitted then set = \n"
    analysis = analyse_text(RULES, "/p/rules.flow", others={"/p/model.flow": model})
    assert analysis.diagnostics == ()


def test_scripts_open_but_not_saved_belong_to_their_folder(tmp_path):
    write(tmp_path, {"model.flow": MODEL})
    unsaved = [tmp_path / "rules.flow", tmp_path / "elsewhere" / "x.flow"]
    assert project_files(tmp_path / "model.flow", unsaved) == [tmp_path / "model.flow", tmp_path / "rules.flow"]
