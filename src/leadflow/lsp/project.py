"""Which files a document is checked with.

A script may be split across files (`leadflow check model.flow rules.flow`
checks them as one program), so the editor checks a document together with
the other scripts of its project, or it would report every name declared next
door as unknown. The project is:

- the scripts a `leadflow.toml` names, when the nearest one above the
  document (its folder or a parent) names it:

      scripts = ["model.flow", "rules/*.flow"]

  (globs relative to the project file's folder);
- otherwise the `.flow` files of the document's folder.

The order is that of `leadflow check` given the same files (the project
file's order, each glob sorted), so a declaration made twice is reported on
the same one of its two places.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

PROJECT_FILE = "leadflow.toml"


def project_files(path: Path, unsaved: Iterable[Path] = ()) -> list[Path]:
    """The scripts checked together with the one at `path`, itself included.
    `unsaved` are scripts open in the editor, which may not be on disk yet."""
    config = next((folder / PROJECT_FILE for folder in path.parents if (folder / PROJECT_FILE).is_file()), None)
    if config is not None:
        named = _named(config)
        if path in named:
            return named
    found = set(path.parent.glob("*.flow")) if path.parent.is_dir() else set()
    found |= {p for p in (path, *unsaved) if p.parent == path.parent and p.suffix == ".flow"}
    return sorted(found)


def _named(config: Path) -> list[Path]:
    """The scripts a project file names; none if it cannot be read (the folder rule applies)."""
    try:
        scripts = tomllib.loads(config.read_text("utf-8")).get("scripts", [])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    if not isinstance(scripts, list):
        return []
    named: list[Path] = []
    for pattern in scripts:
        try:
            found = sorted(config.parent.glob(pattern))
        except (TypeError, ValueError, NotImplementedError):  # not text, empty, or an absolute path
            continue
        named += [p for p in found if p not in named and p.suffix == ".flow"]
    return named
