"""Every code block in README.md, docs/ and the examples' READMEs runs as shown.

Sybil finds the fenced blocks of each Markdown file; this module says what
each kind of block means, so a newcomer can trust what a page shows:

- ```leadflow: the script passes `leadflow check`; when a ```text block of
  diagnostics for it follows, it produces exactly those.
- ```python: run in the document's namespace (Sybil's evaluator).
- ```json: every line (or the block) parses as JSON.
- ```toml: parses; one marked `excerpt=PATH` has each of its `[[test]]` tables
  in that test file, word for word.
- ```text, ```sh or ```console holding `$ command` lines: a shell session. Each
  command runs with bash in the document's folder and must print what follows it
  (standard output and error together, as a terminal shows them; `...` stands for
  any text, as in doctest). `$ echo $?` sees the previous command's exit code.
  Each session starts in the folder that stands for the repository's root.
  `$ cat FILE` of a file the page has not made yet makes it from the text shown,
  since that is how the page shows its input files.
- The info string may name a file for the block to write (```leadflow file=rules.flow),
  a file the block is quoted from (excerpt=PATH: the block must be in it word for
  word, and that file is checked), or the errors a script is shown for (errors=E201).
- `<!-- skip: next "reason" -->` skips the next block (Sybil's skip), with a reason.
- `<!-- invisible-code-block: python ... -->` runs set-up code the page does not show
  (the reference pages' fragments use the names it defines).
Other blocks (a command's synopsis, an editor's configuration) are read, not run.

Each document gets a fresh folder holding a copy of the bundled examples (as
`examples/` and `src/leadflow/examples/`, the paths the pages use); `/tmp/` in a
command stands for that folder, so pages can show ordinary paths.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from sybil import Example, Sybil
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.abstract import AbstractCodeBlockParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer, RawFencedCodeBlockLexer
from sybil.parsers.markdown.skip import SkipParser

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "leadflow" / "examples"
BIN = Path(sys.executable).parent  # the virtual environment's `leadflow`
INFO = re.compile(r"(?P<language>[\w-]+)(?P<options>[^\n]*)\n")
PROMPT = "$ "
DURATION = re.compile(r"\bin \d+\.\d+s\b")
SESSION_LANGUAGES = ("text", "sh", "console")


class Block(AbstractCodeBlockParser):
    """Fenced blocks of one language, with `key=value` options on the info line."""

    def __init__(self, language: str, evaluator) -> None:
        fenced = RawFencedCodeBlockLexer(
            INFO, mapping={"language": "language", "options": "options", "source": "source"}
        )
        hidden = DirectiveInHTMLCommentLexer(
            "invisible-code-block", mapping={"arguments": "language", "source": "source"}
        )
        super().__init__([fenced, hidden], language, evaluator, language_lexeme_name="language")

    def __call__(self, document):
        for region in super().__call__(document):
            options = parse_options(region.lexemes.get("options", ""))
            region.parsed = (region.lexemes["source"], options)  # a Lexeme: a str that knows its line
            yield region


def parse_options(info: str) -> dict[str, str]:
    """`file=rules.flow excerpt=PATH` after the language; other words are titles."""
    return dict(item.split("=", 1) for item in info.split() if "=" in item)


def folder(example: Example) -> Path:
    return example.namespace["folder"]


def write_file(example: Example, source: str, options: dict) -> None:
    write_file_to(folder(example), source, options)


def write_file_to(base: Path, source: str, options: dict) -> None:
    if "file" in options:
        path = base / options["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, "utf-8")


# ---- leadflow ----------------------------------------------------------------------------
def evaluate_leadflow(example: Example) -> None:
    source, options = example.parsed
    if "excerpt" in options:
        whole = (ROOT / options["excerpt"]).read_text("utf-8")
        assert source in whole, f"not in {options['excerpt']} word for word"
        source, options = whole, {"file": Path(options["excerpt"]).name}
    name = options.get("file", "example.flow")
    write_file(example, source, {"file": name})
    result = run_command(f"leadflow check {name}", folder(example))
    shown = diagnostics_after(example, name)
    if "errors" in options:  # a script shown for its mistakes: exactly these codes
        assert sorted(re.findall(r"error\[(E\d+)\]", result.output)) == sorted(options["errors"].split(",")), (
            result.output
        )
    elif shown is None:
        assert result.returncode == 0 and "error[" not in result.output, result.output
    else:
        assert_output(shown, result.output)


def diagnostics_after(example: Example, name: str) -> str | None:
    """The ```text block right after this one, when it shows diagnostics of this file."""
    rest = example.document.text[example.end :]
    match = re.match(r"\n\n```text\n(.*?)```", rest, re.S)
    if match and match[1].startswith(f"{name}:"):
        return match[1]
    return None


# ---- sessions ----------------------------------------------------------------------------
class Result:
    def __init__(self, returncode: int, output: str) -> None:
        self.returncode, self.output = returncode, output


def run_command(command: str, cwd: Path, previous: int = 0, sandbox: Path | None = None) -> Result:
    sandbox = str(sandbox or cwd)
    command = command.replace("/tmp/", f"{sandbox}/tmp/")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "80",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    # `(exit N)` first, so that `echo $?` sees the previous command's code.
    done = subprocess.run(
        ["bash", "-c", f"(exit {previous}); {command}"],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=120,
        check=False,
    )
    return Result(done.returncode, done.stdout.replace(f"{sandbox}/tmp/", "/tmp/"))


def commands(source: str) -> list[tuple[str, str]]:
    """(command, shown output) pairs; a command ending in a backslash goes on."""
    pairs: list[tuple[str, str]] = []
    lines = source.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.startswith(PROMPT):
            raise AssertionError(f"text before the first `$ ` of a session: {line!r}")
        command = line[len(PROMPT) :]
        while command.rstrip("\n").endswith("\\") and index < len(lines):
            command += lines[index]
            index += 1
        output = []
        while index < len(lines) and not lines[index].startswith(PROMPT):
            output.append(lines[index])
            index += 1
        pairs.append((command.strip(), "".join(output)))
    return pairs


def play(namespace: dict, source: str):
    """Run a session's commands in order: yields (command, shown output, printed output)."""
    sandbox = f"{namespace['folder']}/tmp/"
    previous, cwd = 0, namespace["folder"]  # each session starts at the repository's root
    for command, shown in commands(source):
        if command.startswith("cd "):
            cwd = cwd / command[3:].strip().replace("/tmp/", sandbox)
            yield command, shown, ""
            continue
        cat = re.fullmatch(r"cat (\S+)", command)
        if cat:
            path = cwd / cat[1].replace("/tmp/", sandbox)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(shown, "utf-8")
        result = run_command(command, cwd, previous, namespace["folder"])
        previous = result.returncode
        yield command, shown, result.output


def evaluate_session(example: Example) -> None:
    source, options = example.parsed
    write_file(example, source, options)
    if not source.startswith(PROMPT):
        return  # a synopsis or an output shown on its own: nothing to run
    for command, shown, printed in play(example.namespace, source):
        assert_output(shown, printed, command)


def assert_output(shown: str, actual: str, command: str = "") -> None:
    if not doctest.OutputChecker().check_output(normal(shown), normal(actual), doctest.ELLIPSIS):
        raise AssertionError(f"$ {command}\n--- shown\n{shown}\n--- printed\n{actual}")


def normal(output: str) -> str:
    """Without trailing spaces, and with durations (`75 passed in 1.08s`) made equal."""
    lines = (DURATION.sub("in 0.00s", line.rstrip()) for line in output.strip("\n").splitlines())
    return "\n".join(lines) + "\n"


# ---- data blocks -------------------------------------------------------------------------
def evaluate_json(example: Example) -> None:
    source, options = example.parsed
    write_file(example, source, options)
    try:
        json.loads(source)
    except json.JSONDecodeError:
        for line in filter(str.strip, source.splitlines()):
            json.loads(line)  # JSON lines, as event files are


def evaluate_toml(example: Example) -> None:
    source, options = example.parsed
    write_file(example, source, options)
    data = tomllib.loads(source)
    if "excerpt" in options:
        whole = tomllib.loads((ROOT / options["excerpt"]).read_text("utf-8"))
        tests = {test["name"]: test for test in whole.get("test", [])}
        for test in data.pop("test", []):
            assert test["name"] in tests, f"no test {test['name']!r} in {options['excerpt']}"
            assert_part_of(test, tests[test["name"]])
        assert_part_of(data, whole)


def assert_part_of(part: dict, whole: dict) -> None:
    """Every key of `part` is in `whole` with the same value (tables compared alike):
    an excerpt may leave keys out, never change one."""
    for key, value in part.items():
        assert key in whole, f"`{key}` is not in the file"
        if isinstance(value, dict) and isinstance(whole[key], dict):
            assert_part_of(value, whole[key])
        else:
            assert value == whole[key], f"`{key}` differs: {value!r} != {whole[key]!r}"


def evaluate_python(example: Example) -> None:
    source, options = example.parsed
    write_file(example, source, options)
    previous = os.getcwd()
    os.chdir(folder(example))
    try:
        example.parsed = source
        PythonEvaluator()(example)
    finally:
        os.chdir(previous)
        example.parsed = (source, options)


# ---- one folder a document ---------------------------------------------------------------
def setup(namespace: dict) -> None:
    base = Path(tempfile.mkdtemp(prefix="leadflow-docs-"))
    shutil.copytree(
        EXAMPLES, base / "src" / "leadflow" / "examples", ignore=shutil.ignore_patterns("__pycache__", "*.db*")
    )
    (base / "examples").symlink_to(base / "src" / "leadflow" / "examples")
    (base / "tmp").mkdir()
    namespace["folder"] = base


def teardown(namespace: dict) -> None:
    shutil.rmtree(namespace["folder"], ignore_errors=True)


parsers = [
    SkipParser(),
    Block("leadflow", evaluate_leadflow),
    Block("python", evaluate_python),
    Block("json", evaluate_json),
    Block("toml", evaluate_toml),
    *(Block(language, evaluate_session) for language in SESSION_LANGUAGES),
]

documents = Sybil(parsers=parsers, path=str(ROOT), patterns=["*.md"], setup=setup, teardown=teardown)


# ---- rewriting a page's outputs ----------------------------------------------------------
def rewrite(page: Path) -> None:
    """Run the sessions of `page` in order and write what each command printed where
    its shown output differs (`python tests/doc_blocks.py PAGE`). Review the diff:
    put `...` back where the output varies from run to run (times, ids)."""
    namespace: dict = {}
    setup(namespace)
    try:
        text = page.read_text("utf-8")
        pieces, position = [], 0
        for block in re.finditer(r"```(\w+)([^\n]*)\n(.*?)```", text, re.S):
            language, source = block[1], block[3]
            write_file_to(namespace["folder"], source, parse_options(block[2]))
            if language not in SESSION_LANGUAGES or not source.startswith(PROMPT):
                continue
            session = []
            for command, shown, printed in play(namespace, source):
                try:
                    assert_output(shown, printed, command)
                except AssertionError:
                    shown = printed if printed.endswith("\n") or not printed else printed + "\n"
                session.append(f"$ {command}\n{shown}")
            pieces += [text[position : block.start(3)], "".join(session)]
            position = block.end(3)
        page.write_text("".join(pieces) + text[position:], "utf-8")
    finally:
        teardown(namespace)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        rewrite(Path(name))
