"""What changed between two versions of a letter, for the public version history.

difflib compares the texts line by line; a changed line is compared again word by word.
The result is plain data (kinds and text pieces), rendered by a template with autoescaping,
so the letters' text never reaches the page as markup.
"""

import difflib
import re
from dataclasses import dataclass, field

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed", "changed" or "skipped" (unchanged lines folded)
    pieces: list[tuple[str, str]] = field(default_factory=list)  # ("same"|"ins"|"del", text)
    skipped: int = 0


def _words(old: str, new: str) -> list[tuple[str, str]]:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("ins", "".join(b[j1:j2])))
    return pieces


def _similar(old: str, new: str) -> bool:
    return bool(old.strip() and new.strip()) and (
        difflib.SequenceMatcher(None, old, new, autojunk=False).ratio() >= 0.5
    )


def _pair(old: list[str], new: list[str]) -> list[DiffLine]:
    """A replaced block: lines that look alike become one changed line, the rest are
    removed or added, in reading order."""
    if len(old) == len(new) == 1:
        return [DiffLine("changed", _words(old[0], new[0]))]
    out, i, j = [], 0, 0
    while i < len(old) and j < len(new):
        if old[i] == new[j]:
            out.append(DiffLine("same", [("same", old[i])]))
            i, j = i + 1, j + 1
        elif _similar(old[i], new[j]):
            out.append(DiffLine("changed", _words(old[i], new[j])))
            i, j = i + 1, j + 1
        elif any(_similar(old[i], later) for later in new[j + 1 :]):
            out.append(DiffLine("added", [("ins", new[j])]))
            j += 1
        else:
            out.append(DiffLine("removed", [("del", old[i])]))
            i += 1
    out.extend(DiffLine("removed", [("del", line)]) for line in old[i:])
    out.extend(DiffLine("added", [("ins", line)]) for line in new[j:])
    return out


def _text(version) -> list[str]:
    return [f"# {version.title}", "", *version.body.splitlines()]


def letter_diff(old, new, *, context: int = 2) -> list[DiffLine]:
    """Lines of `new` against `old` (two LetterVersions; the title counts as the first line)."""
    a, b = _text(old), _text(new)
    lines: list[DiffLine] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            same = [DiffLine("same", [("same", line)]) for line in a[i1:i2]]
            if len(same) > 2 * context + 1:
                head = same[:context] if lines else []
                tail = same[-context:] if j2 < len(b) else []
                folded = len(same) - len(head) - len(tail)
                lines.extend([*head, DiffLine("skipped", skipped=folded), *tail])
            else:
                lines.extend(same)
        elif op == "replace":
            lines.extend(_pair(a[i1:i2], b[j1:j2]))
        else:
            lines.extend(DiffLine("removed", [("del", line)]) for line in a[i1:i2])
            lines.extend(DiffLine("added", [("ins", line)]) for line in b[j1:j2])
    return lines


def letter_diff_stats(lines: list[DiffLine]) -> dict[str, int]:
    counts = {"added": 0, "removed": 0, "changed": 0}
    for line in lines:
        if line.kind in counts:
            counts[line.kind] += 1
    return counts
