"""User text made safe where it is shown: Markdown, HTML, terminal tables and plot labels.

Names of arms, channels, variants, titles and hypotheses come from the user's files, and a
report may be published on an intranet page. Every such text passes through one of these
functions where it enters an output:

* :func:`markdown_text` — Markdown that renders the text literally: HTML neutralised, no link,
  image, emphasis or table syntax, no line breaks (so no injected headings or blocks);
* :func:`visible_controls` — Unicode direction controls (which can make text read differently
  from what it is, "Trojan Source") and other invisible control characters shown as ``⟨U+202E⟩``;
* :func:`terminal_text` — the same for a terminal, as ``\\uXXXX`` (escape sequences cannot move
  the cursor or recolour the screen).

Plot labels reach matplotlib as plain text (``parse_math=False``), so a ``$`` is a dollar sign.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["markdown_text", "one_line", "terminal_text", "text_columns", "visible_controls"]

_BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
_TERMINAL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029]")
_BREAKS = re.compile("[\n\r\t\u2028\u2029\x0b\x0c\x85]+")
_MARKDOWN = re.compile(r"([\\`*_\[\]#|~$])")
_BLOCK_START = re.compile(r"^(\s*)([-+=])(?=\s|[-=]*\s*$)")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}  # ">" also starts a quote


def _visible(match: re.Match[str]) -> str:
    return f"⟨U+{ord(match.group()):04X}⟩"


def visible_controls(text: Any) -> str:
    """The text with direction controls and other control characters made visible.

    Tabs and line breaks are kept (the caller decides about them).

    Examples
    --------
    >>> visible_controls("abc\u202edcba")
    'abc⟨U+202E⟩dcba'
    """
    return _CONTROLS.sub(lambda m: m.group() if m.group() in "\t\n\r" else _visible(m), str(text))


def one_line(text: Any) -> str:
    """The text on one line (line breaks and tabs as spaces), controls made visible.

    Examples
    --------
    >>> one_line("Jobnet\\r\\nFacebook\u2066")
    'Jobnet Facebook⟨U+2066⟩'
    """
    return _BREAKS.sub(" ", visible_controls(text))


def markdown_text(text: Any) -> str:
    """The text as Markdown that renders it literally, on one line.

    Examples
    --------
    >>> markdown_text("[klik](javascript:alert(1)) <script>x</script>")
    '\\\\[klik\\\\](javascript:alert(1)) &lt;script&gt;x&lt;/script&gt;'
    >>> markdown_text("# Overskrift\\n## mere")
    '\\\\# Overskrift \\\\#\\\\# mere'
    >>> markdown_text("- punkt"), markdown_text("---"), markdown_text("+40 %")
    ('\\\\- punkt', '\\\\---', '+40 %')
    """
    escaped = _MARKDOWN.sub(r"\\\1", one_line(text))
    escaped = "".join(_HTML.get(c, c) for c in escaped)
    # at the start of a line, "- x" or "+ x" would start a list and "---" or "===" underline
    return _BLOCK_START.sub(r"\1\\\2", escaped)


def terminal_text(text: Any, *, keep_lines: bool = False) -> str:
    """The text for a terminal: control characters (line breaks too, unless ``keep_lines``)
    written as ``\\uXXXX``, so escape sequences cannot move the cursor or recolour the screen.

    The notation is also a JSON string escape, so JSON output keeps its meaning.

    Examples
    --------
    >>> terminal_text("arm\\x1b[31m rød\\nny linje\\u202e")
    'arm\\\\u001b[31m rød\\\\u000any linje\\\\u202e'
    """
    pattern = _CONTROLS if keep_lines else _TERMINAL
    return pattern.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))


def text_columns(frame: pd.DataFrame, escape: Callable[[Any], str]) -> pd.DataFrame:
    """A copy of the DataFrame ``frame`` with ``escape`` applied to every text cell.

    Examples
    --------
    >>> import pandas as pd
    >>> text_columns(pd.DataFrame({"arm": ["a\u202eb"], "n": [1]}), visible_controls).iloc[0, 0]
    'a⟨U+202E⟩b'
    """
    shown = frame.copy()
    for column in shown.select_dtypes(exclude=["number", "bool", "datetime"]).columns:
        shown[column] = shown[column].map(escape, na_action="ignore")
    return shown
