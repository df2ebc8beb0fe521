"""Small presentation helpers for the discussion templates."""

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def reltime(value, css_class: str = ""):
    """`<time>` with the relative age as text and the exact moment as tooltip/datetime."""
    if value is None:
        return ""
    return format_html(
        '<time datetime="{}" title="{}" class="{}">{}</time>',
        value.isoformat(),
        value.strftime("%Y-%m-%d %H:%M UTC"),
        css_class,
        naturaltime(value),
    )


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (pagination keeps the sort tab)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def get_item(mapping, key):
    """`mapping[key]` in a template, or None."""
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def signed(number) -> str:
    """+3 / 0 / −2: a score with its sign (a real minus sign, not a hyphen)."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        return ""
    if number > 0:
        return f"+{number}"
    if number < 0:
        return f"\u2212{-number}"
    return "0"


@register.simple_tag
def optional_asset(path: str):
    """A <script>/<link> for a static file other areas may or may not have shipped yet
    (js/claims.js, css/analysis.css…), so a missing file never costs a 404 in the console."""
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    if not finders.find(path):
        return ""
    if path.endswith(".css"):
        return format_html('<link rel="stylesheet" href="{}">', static(path))
    return format_html('<script src="{}" defer></script>', static(path))


@register.simple_tag(takes_context=True)
def include_if_exists(context, template_name: str):
    """Render another area's optional hook template if it has shipped (same context)."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        hook = get_template(template_name)
    except TemplateDoesNotExist:
        return ""
    return hook.render(context.flatten(), context.get("request"))
