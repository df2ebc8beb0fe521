"""cruxes.markup: markdown rendering, sanitizing, and browser-identical textContent."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from cruxes.markup import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    LINK_REL,
    html_to_text,
    render,
    render_markdown,
    sanitize_html,
)


class _Elements(HTMLParser):
    """Every (tag, attrs) in a fragment, for structural assertions."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.raw_tags = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self.raw_tags.append(self.get_starttag_text())

    handle_startendtag = handle_starttag


def _parse(html):
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def elements(html):
    return _parse(html).elements


def assert_safe(html):
    parsed = _parse(html)
    for tag, attrs in parsed.elements:
        assert tag in ALLOWED_TAGS, f"tag <{tag}> survived in {html!r}"
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        assert set(attrs) <= allowed, f"attributes {set(attrs) - allowed} survived in {html!r}"
        if "href" in attrs:
            scheme = urlsplit(attrs["href"].strip()).scheme.lower()
            assert scheme in ALLOWED_URL_SCHEMES or scheme == "", f"href {attrs['href']!r} survived"
    # Escaped payloads may show up as *text* (that is the point); markup must be clean.
    for raw in parsed.raw_tags:
        lowered = raw.lower()
        for needle in ("javascript", "vbscript", "data:", " on", "style", "target", "src"):
            assert needle not in lowered, f"{needle!r} survived in tag {raw!r} of {html!r}"
    assert "<script" not in html.lower()


# --- textContent of rendered markdown --------------------------------------------------

TEXT_CASES = [
    pytest.param("plain words", "plain words\n", id="single-paragraph"),
    pytest.param("a\n\nb", "a\nb\n", id="two-paragraphs-keep-newline-text-node"),
    pytest.param("a & b < c > d \"q\" 'x'", "a & b < c > d \"q\" 'x'\n", id="characters-needing-escapes"),
    pytest.param("&amp; &lt; &quot; &#39; &copy; &#x1F600;", "& < \" ' © 😀\n", id="entities-in-source"),
    pytest.param("tom &amp;amp; jerry", "tom &amp; jerry\n", id="double-escaped-entity"),
    pytest.param("*a **b _c_ d** e*", "a b c d e\n", id="nested-emphasis"),
    pytest.param("see [the docs](https://example.com \"T\") now", "see the docs now\n", id="link"),
    pytest.param("<https://example.com/a?b=1&c=2>", "https://example.com/a?b=1&c=2\n", id="autolink"),
    pytest.param("use `x < y && z` here", "use x < y && z here\n", id="inline-code"),
    pytest.param("```python\nif a < b:\n    pass\n```", "if a < b:\n    pass\n\n", id="fenced-code-block"),
    pytest.param("    indented <code>\n", "indented <code>\n\n", id="indented-code-block"),
    pytest.param("- one\n- two", "\none\ntwo\n\n", id="tight-list"),
    pytest.param("1. one\n\n2. two", "\n\none\n\n\ntwo\n\n\n", id="loose-ordered-list"),
    pytest.param("> quoted\n> more", "\nquoted\nmore\n\n", id="blockquote"),
    pytest.param("| a | b |\n|:--|--:|\n| 1 | 2 |",
                 "\n\n\na\nb\n\n\n\n\n1\n2\n\n\n\n", id="table"),
    pytest.param("line one  \nline two", "line one\nline two\n", id="hard-break-br-adds-no-text"),
    pytest.param("line one\\\nline two", "line one\nline two\n", id="backslash-hard-break"),
    pytest.param("soft\nbreak", "soft\nbreak\n", id="soft-break"),
    pytest.param("# Big title\n\ntext", "Big title\ntext\n", id="heading"),
    pytest.param("~~gone~~ kept", "gone kept\n", id="strikethrough"),
    pytest.param("a\n\n---\n\nb", "a\n\nb\n", id="thematic-break"),
    pytest.param("I 😀 love 👩‍👩‍👧 and 🇫🇷", "I 😀 love 👩‍👩‍👧 and 🇫🇷\n", id="emoji-astral-zwj-flags"),
    pytest.param("中文的句子，日本語の文。", "中文的句子，日本語の文。\n", id="cjk"),
    pytest.param("שלום עולם and مرحبا بالعالم", "שלום עולם and مرحبا بالعالم\n", id="rtl-hebrew-arabic"),
    pytest.param("cafe\u0301 n\u0303", "cafe\u0301 n\u0303\n", id="combining-marks-not-normalized"),
    pytest.param("a\u00a0b &nbsp;c", "a\u00a0b \u00a0c\n", id="nbsp"),
    pytest.param("crlf\r\nline\r\n\r\npara", "crlf\nline\npara\n", id="crlf-normalized"),
    pytest.param("nul\x00char", "nul\ufffdchar\n", id="nul-replaced"),
    pytest.param("<b>raw html</b> shown", "<b>raw html</b> shown\n", id="raw-html-shown-as-text"),
    pytest.param("![a cat *photo*](https://example.com/cat.png)", "a cat photo\n", id="image-becomes-link-with-alt"),
    pytest.param("", "", id="empty"),
]


@pytest.mark.parametrize("source, expected", TEXT_CASES)
def test_rendered_text_content(source, expected):
    html, text = render(source)
    assert text == expected
    assert html_to_text(html) == text
    assert_safe(html)


# --- html_to_text on hand-written HTML -----------------------------------------------

HTML_CASES = [
    pytest.param("<p>a</p>\n<p>b</p>\n", "a\nb\n", id="markdown-it-paragraphs"),
    pytest.param("<p>a<br>b</p>", "ab", id="br-without-newline-adds-nothing"),
    pytest.param("<p>a<br>\nb</p>", "a\nb", id="br-followed-by-newline"),
    pytest.param("<p>x &amp; y &lt;z&gt; &quot;q&quot; &#39;s&#39; &#x27;t&#x27;</p>", "x & y <z> \"q\" 's' 't'",
                 id="entities"),
    pytest.param("<p>a<!-- hidden -->b</p>", "ab", id="comment-ignored"),
    pytest.param("<pre>\ncode</pre>", "code", id="newline-after-pre-dropped-like-browser"),
    pytest.param("<pre><code>\ncode</code></pre>", "\ncode", id="newline-after-code-in-pre-kept"),
    pytest.param("<p>a\r\nb\rc</p>", "a\nb\nc", id="cr-normalized"),
    pytest.param("<ul>\n<li>a</li>\n</ul>", "\na\n", id="whitespace-text-nodes-kept"),
    pytest.param("", "", id="empty"),
]


@pytest.mark.parametrize("html, expected", HTML_CASES)
def test_html_to_text(html, expected):
    assert html_to_text(html) == expected


# --- rendering decisions --------------------------------------------------------------

def test_links_get_rel_and_no_target():
    html = render_markdown("[x](https://example.com)")
    assert html == f'<p><a href="https://example.com" rel="{LINK_REL}">x</a></p>\n'
    html = sanitize_html('<a href="https://e.com" target="_blank" rel="opener">x</a>')
    assert "target" not in html
    assert f'rel="{LINK_REL}"' in html


def test_mailto_and_relative_links_kept():
    html = render_markdown("[mail](mailto:a@example.com) [here](/threads/1#c2)")
    assert 'href="mailto:a@example.com"' in html
    assert 'href="/threads/1#c2"' in html


def test_headings_are_demoted():
    html = render_markdown("# one\n\n## two\n\n###### six")
    assert "<h3>one</h3>" in html
    assert "<h4>two</h4>" in html
    assert "<h6>six</h6>" in html
    assert "<h1" not in html and "<h2" not in html


def test_no_images():
    html = render_markdown("![pixel](https://tracker.example/p.gif)")
    assert "<img" not in html
    assert 'href="https://tracker.example/p.gif"' in html


def test_ordered_list_start_kept():
    assert '<ol start="3">' in render_markdown("3. three\n4. four")


def test_table_alignment_style_dropped():
    html = render_markdown("| a |\n|--:|\n| 1 |")
    assert "<table>" in html and "style" not in html


def test_render_returns_html_and_text():
    html, text = render("*hi*")
    assert html == "<p><em>hi</em></p>\n"
    assert text == "hi\n"


# --- XSS -----------------------------------------------------------------------------

XSS_PAYLOADS = [
    pytest.param("<script>alert(1)</script>", id="script-tag"),
    pytest.param("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", id="script-src-upper"),
    pytest.param("<<script>script>alert(1)<</script>/script>", id="nested-script"),
    pytest.param("[x](javascript:alert(1))", id="md-javascript-link"),
    pytest.param("[x](JaVaScRiPt:alert(1))", id="md-mixed-case-javascript"),
    pytest.param("[x](javascript&#58;alert(1))", id="md-entity-colon"),
    pytest.param("[x](&#106;avascript:alert(1))", id="md-entity-j"),
    pytest.param("[x]( javascript:alert(1) )", id="md-spaces"),
    pytest.param("[x](vbscript:msgbox(1))", id="md-vbscript"),
    pytest.param("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", id="md-data-html"),
    pytest.param("![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", id="md-data-image"),
    pytest.param("![x](javascript:alert(1))", id="md-javascript-image"),
    pytest.param("[x][r]\n\n[r]: javascript:alert(1)", id="md-reference-javascript"),
    pytest.param("<javascript:alert(1)>", id="md-autolink-javascript"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param('<a href="java&#x09;script:alert(1)">x</a>', id="tab-in-scheme"),
    pytest.param('<a href="jav&#x0A;ascript:alert(1)">x</a>', id="newline-in-scheme"),
    pytest.param('<a href="&#x6A;avascript:alert(1)">x</a>', id="entity-in-scheme"),
    pytest.param('<a href=" JAVASCRIPT:alert(1)">x</a>', id="leading-space-upper-scheme"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
    pytest.param("<svg><script>alert(1)</script></svg>", id="svg-script"),
    pytest.param('<iframe src="javascript:alert(1)"></iframe>', id="iframe"),
    pytest.param('<object data="javascript:alert(1)"></object>', id="object"),
    pytest.param('<a href="https://e.com" onclick="alert(1)" style="x:y" target="_blank">x</a>', id="a-handlers"),
    pytest.param('<p style="background:url(javascript:alert(1))">x</p>', id="style-attribute"),
    pytest.param("<style>p{background:url(javascript:alert(1))}</style>", id="style-tag"),
    pytest.param('<form action="javascript:alert(1)"><input type=submit></form>', id="form"),
    pytest.param("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", id="mutation-xss"),
    pytest.param("<!--<img src=x onerror=alert(1)>-->", id="comment"),
    pytest.param('<base href="javascript:/">', id="base"),
    pytest.param('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', id="meta-refresh"),
    pytest.param('<a href="data:text/html,<script>alert(1)</script>">x</a>', id="data-url-link"),
    pytest.param('<details open ontoggle=alert(1)>', id="details-ontoggle"),
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payload_in_markdown_is_inert(payload):
    assert_safe(render_markdown(payload))
    # And inside markdown structure too.
    assert_safe(render_markdown(f"> - *{payload}*\n\n| {payload} |\n|---|\n| x |"))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payload_through_sanitizer_directly(payload):
    # markdown-it never emits raw HTML (html=False); the sanitizer must hold on its own.
    assert_safe(sanitize_html(payload))


def test_raw_html_is_escaped_not_interpreted():
    html = render_markdown('<a href="https://e.com">x</a>')
    assert elements(html) == [("p", {})]
    assert html_to_text(html) == '<a href="https://e.com">x</a>\n'
