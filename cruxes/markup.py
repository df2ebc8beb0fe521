"""Markdown → sanitized HTML, and sanitized HTML → the plain text that claims point into.

Pure module (no Django). Two guarantees matter to the rest of the app:

* ``render_markdown`` output is safe to mark ``|safe`` in a template: raw HTML in the source
  is not interpreted by markdown-it (``html=False``) and the result is sanitized by nh3
  anyway, with a short allow-list of tags, ``href``/``title`` on links only, and
  http/https/mailto (or relative) URLs only.
* ``html_to_text(html)`` equals what a browser's ``container.textContent`` gives after
  ``container.innerHTML = html``: the concatenation of every text node in document order,
  with character references decoded and nothing added for element boundaries. Claim offsets
  are code-point offsets into this string, and the browser computes selections over the
  same string, so the two must agree character for character.

Decisions:

* No ``<img>``: remote images are tracking pixels and layout hazards. A markdown image is
  rendered as a link to the image whose text is the alt text, so nothing the author wrote
  disappears silently.
* Headings are shifted down two levels (``#`` → ``<h3>``, capped at ``<h6>``) so a comment
  cannot out-shout the page's own title.
* Table cell alignment is dropped (markdown-it emits it as a ``style`` attribute, and no
  ``style`` attribute is allowed).
* Links get ``rel="nofollow ugc noopener"``; ``target`` is not allowed.
* Relative URLs pass through (they can only point into this site).
* Bare URLs are linkified only when the optional ``linkify-it-py`` package is installed;
  linkifying wraps text in ``<a>`` without changing the text, so offsets are unaffected.
"""

from __future__ import annotations

from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

__all__ = [
    "ALLOWED_TAGS",
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_URL_SCHEMES",
    "LINK_REL",
    "HEADING_SHIFT",
    "render_markdown",
    "sanitize_html",
    "html_to_text",
    "render",
]

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr",
        "em", "strong", "del", "s", "code", "pre", "blockquote",
        "a",
        "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)
# ``ol@start`` keeps "3. item" lists numbered as written; harmless (an integer).
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
HEADING_SHIFT = 2

try:  # optional extra; prefer not to need it
    import linkify_it  # noqa: F401

    _HAVE_LINKIFY = True
except ImportError:  # pragma: no cover - depends on the environment
    _HAVE_LINKIFY = False


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": False, "linkify": _HAVE_LINKIFY, "typographer": False},
    ).enable(["table", "strikethrough"])
    if _HAVE_LINKIFY:  # pragma: no cover - depends on the environment
        md.enable("linkify")

    def render_image(renderer, tokens, idx, options, env):
        # An image becomes a plain link to it, labelled with its alt text.
        token = tokens[idx]
        src = token.attrGet("src") or ""
        alt = renderer.renderInlineAsText(token.children or [], options, env)
        title = token.attrGet("title")
        attrs = f' href="{_escape(src)}"'
        if title:
            attrs += f' title="{_escape(title)}"'
        return f"<a{attrs}>{_escape(alt)}</a>"

    md.add_render_rule("image", render_image)
    return md


def _escape(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


_MD = _build_markdown()

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    # Elements whose *content* is dropped along with the tag (the default keeps the text
    # of disallowed tags, which is right for e.g. <span> but not for code-ish containers).
    clean_content_tags={"script", "style", "iframe", "noscript", "template", "object",
                        "embed", "svg", "math", "textarea", "select", "title"},
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=set(ALLOWED_URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """Sanitize an HTML fragment with this module's allow-list (nh3 / ammonia)."""
    return _CLEANER.clean(html)


def render_markdown(source: str) -> str:
    """Markdown (CommonMark + tables + strikethrough) → sanitized HTML."""
    tokens = _MD.parse(source or "", {})
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(6, int(token.tag[1:]) + HEADING_SHIFT)
            token.tag = f"h{level}"
    html = _MD.renderer.render(tokens, _MD.options, {})
    return sanitize_html(html)


# Elements after whose start tag the HTML parser drops one leading newline.
_NEWLINE_EATERS = frozenset({"pre", "textarea", "listing"})


class _TextContent(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._eat_newline = False

    def handle_starttag(self, tag, attrs):
        self._eat_newline = tag in _NEWLINE_EATERS

    def handle_startendtag(self, tag, attrs):
        self._eat_newline = False

    def handle_endtag(self, tag):
        self._eat_newline = False

    def handle_data(self, data):
        if self._eat_newline:
            self._eat_newline = False
            if data.startswith("\n"):
                data = data[1:]
        if data:
            self.parts.append(data)

    # Comments, doctypes, processing instructions: not text nodes. The base class
    # methods already ignore them; entity/charref handlers are unused with
    # convert_charrefs=True.


def html_to_text(html: str) -> str:
    """The ``textContent`` a browser gives for a container whose innerHTML is ``html``.

    Concatenates text nodes in document order with character references decoded. Elements
    contribute nothing of their own (``<br>`` adds no "\\n"; the "\\n" markdown-it writes
    after it is a text node). Like the browser's input stream preprocessing, CR LF and lone
    CR become LF before parsing.
    """
    if not html:
        return ""
    html = html.replace("\r\n", "\n").replace("\r", "\n")
    parser = _TextContent()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def render(source: str) -> tuple[str, str]:
    """``(sanitized_html, plain_text)`` for a markdown source."""
    html = render_markdown(source)
    return html, html_to_text(html)
