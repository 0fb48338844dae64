from campaigns.diff import letter_diff, letter_diff_stats
from campaigns.models import LetterVersion


def _v(body, title="Letter"):
    return LetterVersion(title=title, body=body)


def test_a_changed_line_is_diffed_word_by_word():
    old, new = _v("We ask you to act.\n\nThanks."), _v("We urge you to act now.\n\nThanks.")
    lines = letter_diff(old, new)
    changed = [line for line in lines if line.kind == "changed"]
    assert len(changed) == 1
    assert changed[0].pieces == [
        ("same", "We "),
        ("del", "ask"),
        ("ins", "urge"),
        ("same", " you to act"),
        ("ins", " now"),
        ("same", "."),
    ]


def test_added_and_removed_lines_and_stats():
    lines = letter_diff(_v("One\nTwo\nThree"), _v("One\nThree\nFour\nFive"))
    kinds = [(line.kind, line.pieces) for line in lines if line.kind != "same"]
    assert ("removed", [("del", "Two")]) in kinds
    assert ("added", [("ins", "Four")]) in kinds
    assert letter_diff_stats(lines)["removed"] == 1


def test_a_title_change_is_shown():
    lines = letter_diff(_v("Body", title="Old"), _v("Body", title="New"))
    assert lines[0].kind == "changed"
    assert ("del", "Old") in lines[0].pieces and ("ins", "New") in lines[0].pieces


def test_long_unchanged_stretches_are_folded():
    body = "\n".join(f"line {n}" for n in range(30))
    lines = letter_diff(_v(body), _v(body.replace("line 15", "line fifteen")))
    skipped = [line.skipped for line in lines if line.kind == "skipped"]
    assert len(skipped) == 2
    assert sum(skipped) + sum(1 for line in lines if line.kind != "skipped") == 32
