"""The language server behind `leadflow lsp`: diagnostics as you type,
completion and hover, over the Language Server Protocol (pygls 2).

Each open document is analysed on open and on every change (a script is
small and checking it takes milliseconds, so there is no debounce), together
with the other scripts of its project (project.py): the open ones as the
editor holds them, the others as saved. Its diagnostics are published at
once: syntax and type errors, and the lints' warnings once there are no
errors; the other open documents of its project are analysed again, since a
change here can make or fix an error there. The latest analysis of each
document is kept for completion and hover, and for the next analysis, which
falls back on it for what a broken line hides.

A request about a document the editor never opened reads it from disk, if
it is a file there, and answers nothing otherwise.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from leadflow.lsp.analysis import Analysis, analyse_text
from leadflow.lsp.completion import complete
from leadflow.lsp.convert import from_position, lines_of, to_diagnostic, to_range
from leadflow.lsp.hover import hover
from leadflow.lsp.project import project_files


def _version() -> str:
    try:
        return version("leadflow")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0"


class LeadflowServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("leadflow", _version())
        self.analyses: dict[str, Analysis] = {}

    def refresh(self, uri: str) -> None:
        """Analyse an open document and publish its diagnostics, then those of the other
        open documents that read it (a change here can make or fix an error there)."""
        self._publish(uri)
        self.refresh_readers(uri)

    def refresh_readers(self, uri: str) -> None:
        path = _path(uri)
        if path is None:
            return
        for other in list(self.analyses):
            if other != uri and path in self.project(other):
                self._publish(other)

    def _publish(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        text = _source(document) or ""
        analysis = analyse_text(text, _file_name(uri), self.analyses.get(uri), self._texts(self.project(uri)))
        self.analyses[uri] = analysis
        lines = lines_of(text)
        diagnostics = [to_diagnostic(d, lines, document.position_codec) for d in analysis.diagnostics]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=document.version)
        )

    def project(self, uri: str) -> list[Path]:
        """The files checked with the document; none for a buffer that is no file."""
        path = _path(uri)
        if path is None:
            return []
        return project_files(path, unsaved=[p for p in map(_path, self.workspace.text_documents) if p is not None])

    def _texts(self, project: list[Path]) -> dict[str, str]:
        """{file: text} of the project's scripts: the open ones as the editor holds them,
        the others as saved (one that cannot be read is left out)."""
        held = {_path(uri): document for uri, document in self.workspace.text_documents.items()}
        texts = {}
        for path in project:
            text = _source(held[path]) if path in held else _read(path)
            if text is not None:
                texts[str(path)] = text
        return texts

    def analysis(self, uri: str) -> Analysis | None:
        """The open document's analysis; for one never opened, its file's, or None."""
        found = self.analyses.get(uri)
        if found is not None:
            return found
        text = _source(self.workspace.get_text_document(uri))
        if text is None:
            return None
        return analyse_text(text, _file_name(uri), None, self._texts(self.project(uri)))


def _source(document: TextDocument) -> str | None:
    """The document's text: the editor's copy, or the file's on disk; None if neither exists."""
    try:
        return document.source
    except (OSError, UnicodeDecodeError):  # never opened, and not a readable text file either
        return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _file_name(uri: str) -> str:
    """The name diagnostics carry: the file's path, or the URI of an unsaved buffer."""
    path = to_fs_path(uri)
    return str(Path(path)) if path else uri


def _path(uri: str) -> Path | None:
    path = to_fs_path(uri)
    return Path(path) if path else None


server = LeadflowServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LeadflowServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LeadflowServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: LeadflowServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)  # its project may have changed (a project file, a new script)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LeadflowServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.analyses.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    ls.refresh_readers(uri)  # they now read the file as saved, which may differ from the buffer closed


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", "["]))
def completion(ls: LeadflowServer, params: types.CompletionParams) -> types.CompletionList:
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    text = _source(document)
    analysis = ls.analysis(uri) if text is not None else None
    if text is None or analysis is None:
        return types.CompletionList(is_incomplete=False, items=[])
    lines = lines_of(text)
    line, column = from_position(params.position, lines, document.position_codec)
    offset = sum(len(previous) + 1 for previous in lines[: line - 1]) + column - 1
    return types.CompletionList(is_incomplete=False, items=complete(analysis.model, text[:offset]))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: LeadflowServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    document = ls.workspace.get_text_document(uri)
    text = _source(document)
    analysis = ls.analysis(uri) if text is not None else None
    if text is None or analysis is None:
        return None
    lines = lines_of(text)
    line, column = from_position(params.position, lines, document.position_codec)
    found = hover(analysis, line, column)
    if found is None:
        return None
    markdown, span = found
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown),
        range=to_range(span, lines, document.position_codec),
    )


def serve() -> None:
    """Talk LSP over standard input and output until the client exits."""
    server.start_io()
