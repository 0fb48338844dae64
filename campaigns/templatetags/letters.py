from django import template

from campaigns.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text, heading_offset=1):
    """Render a letter's Markdown as sanitized HTML; headings start at <h2> by default."""
    return render_markdown(text or "", heading_offset=int(heading_offset))
