"""`leadflow test`: run the `*.test.toml` tests of scripts (see docs/testing.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from leadflow.cli import EXIT_USAGE, main
from leadflow.cli_hosts import load_hosts


@main.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("-v", "--verbose", is_flag=True, help="One line per test, with its outcome.")
@click.option("-k", "keyword", metavar="TEXT", default=None, help="Only the tests whose name contains TEXT (any case).")
@click.option("-x", "--exitfirst", is_flag=True, help="Stop at the first test that does not pass.")
@click.option("--coverage", is_flag=True, help="Report the rules, workflow steps and branches no test reached.")
@click.option("--seed", type=int, default=None, metavar="N", help="The seed of the tests that set none (default 1).")
@click.option(
    "--hosts",
    callback=load_hosts,
    default=None,
    metavar="MODULE",
    help="A Python module (dotted name, or path to a .py file) whose functions stand in for "
    "the `extern fn`s of the same names that a test does not stub.",
)
def run_tests(paths, verbose, keyword, exitfirst, coverage, seed, hosts) -> None:
    """Run the tests in PATHS: *.test.toml files, folders holding them (default: here),
    or scripts (X.flow runs X.test.toml next to it).

    Exit 0 when every test passed, 1 when a test failed or a script does not
    check, 2 for a usage error or a bad test file."""
    from leadflow.testing import discover, run_suite
    from leadflow.testing.report import Reporter

    files = discover([_tests_of(path) for path in paths] or ["."])
    if not files:
        click.echo(f"no *.test.toml files under {', '.join(paths or ['.'])}", err=True)
        sys.exit(EXIT_USAGE)
    reporter = Reporter(verbose=verbose)
    suite = run_suite(
        files,
        keyword=keyword,
        coverage=coverage,
        exitfirst=exitfirst,
        on_file=reporter.file_started,
        on_result=reporter.test_done,
        seed=seed,
        hosts=hosts,
    )
    if keyword is not None and not suite.results and not suite.bad_files and not suite.broken_scripts:
        click.echo(f"no test name contains {keyword!r}", err=True)
        sys.exit(EXIT_USAGE)
    reporter.summary(suite)
    sys.exit(suite.exit_code)


def _tests_of(path: str) -> str:
    """A script stands for the tests next to it."""
    if not path.endswith(".flow"):
        return path
    tests = Path(path).with_suffix(".test.toml")
    if not tests.is_file():
        raise click.UsageError(f"{path} has no tests: write them in {tests} (see docs/testing.md)")
    return str(tests)
