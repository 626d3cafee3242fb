"""Tab completion: commands, their arguments, and names in expressions."""

from __future__ import annotations

from leadflow.repl.completion import complete


def texts(session, text: str) -> list[str]:
    return [c.text for c in complete(session, text)[1]]


def test_commands_complete_after_a_colon(session):
    assert texts(session, ":co") == [":contact"]
    assert texts(session, ":") == [
        ":" + name
        for name in (
            "load",
            "reload",
            "contact",
            "new",
            "emit",
            "advance",
            "show",
            "list",
            "type",
            "explain",
            "help",
            "quit",
        )
    ]
    assert complete(session, ":ex")[0] == ":ex"  # the word the completion replaces


def test_command_arguments_complete_with_what_the_command_takes(session):
    assert texts(session, ":emit fo") == ["form_submitted"]
    assert texts(session, ':explain "MQ') == ['"MQL to SQL"']
    assert texts(session, ":explain Qual") == ['"Qualify marketing leads"']  # quotes optional
    assert texts(session, ":contact gr") == ["grace@example.com"]
    assert texts(session, ":show li") == ["linus@example.com"]
    assert texts(session, ":list en") == ["engaged"]


def test_load_completes_scripts_and_folders(session, tmp_path):
    (tmp_path / "rules.flow").write_text("")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "more").mkdir()
    assert texts(session, f":load {tmp_path}/") == [f"{tmp_path}/more/", f"{tmp_path}/rules.flow"]
    assert texts(session, f":load a.flow {tmp_path}/r") == [f"{tmp_path}/rules.flow"]


def test_names_in_expressions(ada):
    assert texts(ada, "sco") == ["score"]
    assert texts(ada, "score > 1 and lifecycle == mq") == ["mql"]  # enum members
    assert texts(ada, "len") == ["length"]  # functions
    ada.run("let best = 1")
    assert texts(ada, "be") == ["best"]
    found = {c.text: c.meta for c in complete(ada, "l")[1]}
    assert found["lifecycle"] == "property: lifecycle's enum"
    assert found["lead"] == "member of lifecycle's enum"
    assert found["lower"] == "lower(s: text) -> text" and found["let"] == "keyword"


def test_names_inside_command_expressions_and_event_data(ada):
    assert texts(ada, ":type sco") == ["score"]
    assert texts(ada, ":emit form_submitted {form: fir") == ["first_name", "first"]
    assert texts(ada, ":advance 2 da") == ["days"]  # a unit after a number
    assert texts(ada, "now() - 6 w") == ["weeks"]


def test_fields_after_a_dot(ada):
    assert texts(ada, "contact.sc") == ["score"]
    ada.run('let r = {size: 3, name: "x"}')
    assert texts(ada, "r.") == ["size", "name"]
    assert texts(ada, "score.") == []


def test_constants_after_const_dot(session, tmp_path):
    script = tmp_path / "c.flow"
    script.write_text('const ebook_url = "https://example.com"\nconst limit = 3\n')
    session.run(f":load {script}")
    assert texts(session, "const.") == ["ebook_url", "limit"]
    assert texts(session, "eb") == ["ebook_url"]


def test_script_functions_show_their_signature(session, tmp_path):
    script = tmp_path / "f.flow"
    script.write_text("fn twice(n: number) -> number = n * 2\nextern fn owner_of(domain: text) -> text?\n")
    session.run(f":load {script}")
    found = {c.text: c.meta for c in complete(session, "tw")[1] + complete(session, "own")[1]}
    assert found == {"twice": "twice(n: number) -> number", "owner_of": "owner_of(domain: text) -> text?"}
