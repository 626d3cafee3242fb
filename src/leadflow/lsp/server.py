"""The language server behind `leadflow lsp`: diagnostics as you type,
completion and hover, over the Language Server Protocol (pygls 2).

Each open document is analysed on open and on every change (a script is
small and checking it takes milliseconds, so there is no debounce), and its
diagnostics are published at once: syntax and type errors, and the lints'
warnings once there are no errors. The latest analysis of each document is
kept for completion and hover, and for the next analysis, which falls back
on it for what a broken line hides.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from leadflow.lsp.analysis import Analysis, analyse_text
from leadflow.lsp.completion import complete
from leadflow.lsp.convert import from_position, lines_of, to_diagnostic, to_range
from leadflow.lsp.hover import hover


def _version() -> str:
    try:
        return version("leadflow")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0"


class LeadflowServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("leadflow", _version())
        self.analyses: dict[str, Analysis] = {}

    def refresh(self, uri: str) -> Analysis:
        """Analyse the document as it is now and publish its diagnostics."""
        document = self.workspace.get_text_document(uri)
        analysis = analyse_text(document.source, _file_name(uri), self.analyses.get(uri))
        self.analyses[uri] = analysis
        lines = lines_of(document.source)
        diagnostics = [to_diagnostic(d, lines, document.position_codec) for d in analysis.diagnostics]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=document.version)
        )
        return analysis

    def analysis(self, uri: str) -> Analysis:
        return self.analyses.get(uri) or self.refresh(uri)


def _file_name(uri: str) -> str:
    """The name diagnostics carry: the file's path, or the URI of an unsaved buffer."""
    return to_fs_path(uri) or uri


server = LeadflowServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LeadflowServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LeadflowServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LeadflowServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.analyses.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", "["]))
def completion(ls: LeadflowServer, params: types.CompletionParams) -> types.CompletionList:
    document = ls.workspace.get_text_document(params.text_document.uri)
    text = document.source
    lines = lines_of(text)
    line, column = from_position(params.position, lines, document.position_codec)
    offset = sum(len(previous) + 1 for previous in lines[: line - 1]) + column - 1
    items = complete(ls.analysis(params.text_document.uri).model, text[:offset])
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: LeadflowServer, params: types.HoverParams) -> types.Hover | None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    lines = lines_of(document.source)
    line, column = from_position(params.position, lines, document.position_codec)
    found = hover(ls.analysis(params.text_document.uri), line, column)
    if found is None:
        return None
    text, span = found
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
        range=to_range(span, lines, document.position_codec),
    )


def serve() -> None:
    """Talk LSP over standard input and output until the client exits."""
    server.start_io()
