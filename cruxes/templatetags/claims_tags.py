"""Template helpers for the claim layer."""

from django import template

register = template.Library()


@register.filter
def claims_for(claims_by_comment, comment):
    """`claims_by_comment[comment.id]` for templates (None when the page has no claim data)."""
    if not claims_by_comment or comment is None:
        return None
    return claims_by_comment.get(getattr(comment, "id", comment))
