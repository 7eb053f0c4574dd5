"""Item names: the truncation rule keeps the business key (AAG ORDER NUMBER) whole."""

from __future__ import annotations

from sync.mapping import render_name

TEMPLATE = "{CUSTOMER STYLE} {CUSTOMER COLOUR DESCRIPTION} {AAG ORDER NUMBER}"


def _row(style: str, colour: str, order: str = "JOO-0001234") -> dict[str, str]:
    return {"CUSTOMER STYLE": style, "CUSTOMER COLOUR DESCRIPTION": colour, "AAG ORDER NUMBER": order}


def test_a_short_name_is_untouched_and_warns_nothing() -> None:
    assert render_name(TEMPLATE, _row("ST1", "NAVY"), 255) == ("ST1 NAVY JOO-0001234", None)


def test_a_long_colour_is_shortened_in_the_middle_and_the_order_number_survives() -> None:
    name, warning = render_name(TEMPLATE, _row("STYLE-9", "X" * 400), 255)
    assert len(name) == 255
    assert name.endswith(" JOO-0001234")
    assert name.startswith("STYLE-9 XXX")
    assert "…" in name
    assert warning is not None and "420 characters" in warning and "AAG ORDER NUMBER kept whole" in warning


def test_when_the_middle_is_not_enough_the_part_before_it_is_shortened_too() -> None:
    name, _ = render_name(TEMPLATE, _row("S" * 300, "C" * 300), 40)
    assert len(name) <= 40
    assert name.endswith(" JOO-0001234")
    assert name.startswith("S")


def test_truncation_is_deterministic() -> None:
    row = _row("STYLE-9", "long colour " * 40)
    assert render_name(TEMPLATE, row, 100) == render_name(TEMPLATE, row, 100)


def test_a_key_longer_than_the_limit_is_cut_at_the_end_as_a_last_resort() -> None:
    name, warning = render_name("{AAG ORDER NUMBER}", {"AAG ORDER NUMBER": "K" * 30}, 10)
    assert len(name) == 10 and name.endswith("…") and warning is not None


_VALUES = [None, "", "  ", "A", " b c ", "x" * 60, "{brace}", "ÉTÉ", 7, 2.5]


def test_chunk_names_are_the_row_functions_names() -> None:
    """sync.chunk_names names a chunk exactly as render_name / group_name name each row."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sync.chunk_names import group_names, render_names
    from sync.config import GroupNaming
    from sync.mapping import group_name

    columns = ["CUSTOMER STYLE", "CUSTOMER COLOUR DESCRIPTION", "AAG ORDER NUMBER", "CUSTOMER NAME", "SEASON"]
    row = st.dictionaries(st.sampled_from(columns), st.sampled_from(_VALUES))
    templates = st.sampled_from([TEMPLATE, "{AAG ORDER NUMBER}", "a{{b}} {SEASON}-{CUSTOMER NAME}{SEASON}", "fixed"])
    naming = st.builds(
        GroupNaming,
        columns=st.sampled_from([["CUSTOMER NAME", "SEASON"], ["SEASON"], []]),
        fallback_columns=st.just(["CUSTOMER STYLE"]),
        separator=st.sampled_from([" ", " / "]),
        sentinel=st.just("UNASSIGNED"),
    )

    @settings(max_examples=300, deadline=None)
    @given(st.lists(row, max_size=8), templates, st.sampled_from([12, 40, 255]), naming)
    def check(rows: list[dict[str, object]], template: str, max_length: int, groups: GroupNaming) -> None:
        assert render_names(template, rows, max_length) == [render_name(template, r, max_length) for r in rows]
        assert group_names(groups, rows) == [group_name(groups, r) for r in rows]

    check()
