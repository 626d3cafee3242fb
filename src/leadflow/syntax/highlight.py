"""A Pygments lexer for Leadflow, for the REPL and for documentation tools.

Installed as a Pygments plugin (see pyproject.toml), so `pygmentize -l
leadflow`, Sphinx and MkDocs highlight ```leadflow blocks and `*.flow` files.

It highlights the whole language of the design, workflows and bots
included, even where the parser does not read them yet: documentation shows
them. It never reports an error token for text the parser accepts, so a
highlighted example never looks broken.

Keywords are soft in Leadflow (`email` is a declaration, an action word, a
type and a common property name), so a few words are keywords only where
their context says so: `email NAME {` declares, `send email` acts, `: email`
is a type, and anywhere else `email` is a name. A word followed by `(` is a
function call (`split(email, "@")`), except the few keywords that open a
parenthesized expression (`if (a or b) then ...`).
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

DECLARATIONS = (
    "object",
    "event",
    "list",
    "secret",
    "email",
    "const",
    "type",
    "extern",
    "fn",
    "rule",
    "workflow",
    "bot",
)

# Words that only ever structure a script; never a name, never called.
STRUCTURE = ("when", "if", "then", "else", "where", "and", "or", "not", "in", "is", "match", "return")

KEYWORDS = (
    # triggers
    "created",
    "changed",
    "from",
    "to",
    "added",
    "removed",
    "matching",
    "every",
    "at",
    "on",
    "yearly",
    "before",
    "after",
    # actions
    "set",
    "clear",
    "increment",
    "decrement",
    "by",
    "add",
    "remove",
    "send",
    "notify",
    "create",
    "as",
    "let",
    "do",
    "enroll",
    "unenroll",
    "webhook",
    "with",
    "headers",
    "auth",
    "bearer",
    "sign",
    "timeout",
    "reverse",
    "for",
    # workflows
    "reenroll",
    "never",
    "goal",
    "suppress",
    "window",
    "timezone",
    "wait",
    "until",
    "up",
    "split",
    "random",
    "branch",
    "stop",
    # bots
    "say",
    "ask",
    "choices",
    "into",
    "handoff",
    # days for schedules and windows
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "weekdays",
    "weekends",
)

CONSTANTS = ("true", "false", "null", "known", "unknown")

TYPES = ("text", "number", "bool", "date", "datetime", "time", "duration", "email", "phone", "url", "enum", "list")

UNITS = r"(?:minute|hour|day|week|month|year|second)s?\b"
NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class LeadflowLexer(RegexLexer):
    name = "Leadflow"
    aliases = ["leadflow"]
    filenames = ["*.flow"]
    mimetypes = ["text/x-leadflow"]

    tokens = {
        "root": [
            include("space"),
            # `email welcome {` declares an email; `send email welcome` sends one
            (
                rf"\b(email)(\s+)({NAME})(\s*)(\{{)",
                bygroups(Keyword.Declaration, Whitespace, Name.Class, Whitespace, Punctuation),
            ),
            (r"\b(send)(\s+)(email)\b", bygroups(Keyword, Whitespace, Keyword)),
            (
                rf"\b(list|event|object|secret|workflow|bot|fn|const)(\s+)({NAME})",
                bygroups(Keyword.Declaration, Whitespace, Name.Class),
            ),
            (
                rf"\b(type)(\s+)({NAME})(\s*)(=)",
                bygroups(Keyword.Declaration, Whitespace, Name.Class, Whitespace, Operator),
            ),
            (r"\b(rule|extern)\b", Keyword.Declaration),
            include("expression"),
        ],
        "space": [
            (r"\s+", Whitespace),
            (r"#.*?$", Comment.Single),
            (r";", Punctuation),
        ],
        "expression": [
            include("space"),
            (r'"', String.Double, "string"),
            include("literals"),
            # a type after `name:`, `->` or in `list<...>`
            (rf"(:|->|<)(\s*)({'|'.join(TYPES)})\b", bygroups(Punctuation, Whitespace, Keyword.Type)),
            (r"\b(list)(\s*)(<)", bygroups(Keyword.Type, Whitespace, Operator)),
            # schedules: `every day at 02:00`, `every month on day 1 at 08:00`
            (r"\b(every)(\s+)(day|week|month|year)\b", bygroups(Keyword, Whitespace, Keyword)),
            (r"\b(on)(\s+)(day)(?=\s+\d)", bygroups(Keyword, Whitespace, Keyword)),
            (words(CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(STRUCTURE, suffix=r"\b"), Keyword),
            (rf"{NAME}(?=\s*\()", Name.Function),
            (words(KEYWORDS, suffix=r"\b"), Keyword),
            (r"\b(event|contact|const)(?=\s*\.)", Name.Builtin.Pseudo),
            (NAME, Name),
            (r"==|!=|<=|>=|->|=>|\?\?|[-+*/%<>=?]", Operator),
            (r"[{}()\[\],.:]", Punctuation),
        ],
        "literals": [
            (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?", Number.Date),
            (r"\d{4}-\d{2}-\d{2}", Number.Date),
            (r"\d{2}:\d{2}(?![\d:])", Number.Date),
            (rf"(\d[\d_]*(?:\.\d[\d_]*)?)(\s+)({UNITS})", bygroups(Number, Whitespace, Number)),
            (r"\d[\d_]*(?:\.\d[\d_]*)?%", Number),
            (r"\d[\d_]*\.\d[\d_]*", Number.Float),
            (r"\d[\d_]*", Number.Integer),
        ],
        "string": [
            (r'"', String.Double, "#pop"),
            (r"\\.", String.Escape),
            (r"\{\{|\}\}", String.Escape),
            (r"\{", String.Interpol, "interpolation"),
            (r'[^"\\{}]+', String.Double),
            (r"\}", String.Double),
        ],
        "interpolation": [
            (r"\}", String.Interpol, "#pop"),
            include("expression"),
        ],
    }
