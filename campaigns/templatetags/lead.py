from django import template

from campaigns.audit import ACTION_LABELS

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def _describe(value) -> str:
    """A short text for a logged value; lists of ids become a count."""
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if isinstance(item, list):
                parts.append(f"{key or '—'}: {len(item)}")
            else:
                parts.append(f"{key}: {_describe(item)}")
        return "; ".join(parts)
    if isinstance(value, list):
        return str(len(value))
    if value is None or value == "":
        return "—"
    return str(value)


@register.simple_tag
def audit_changes(entry) -> list[tuple[str, str, str]]:
    """(field, before, after) rows of an entry, for the audit log page."""
    before, after = entry.before or {}, entry.after or {}
    fields = list(dict.fromkeys([*before, *after]))
    return [
        (
            field,
            _describe(before.get(field)) if field in before else "",
            _describe(after.get(field)) if field in after else "",
        )
        for field in fields
    ]
