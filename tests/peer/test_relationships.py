"""What a customer's node decides about its relationships after the deal
(``intentcast.peer.relationships``), without a store or a network."""

from __future__ import annotations

from intentcast.peer.relationships import (
    DELETION_GRACE,
    FieldState,
    Holding,
    deletion_overdue,
    field_states,
    silent,
    update_targets,
)

OLD, NEW = "Hauptstr. 1", "Neue Str. 2"


def test_a_value_counts_as_acknowledged_once_any_copy_of_its_update_was_answered() -> None:
    disclosed = {"shipping": (NEW, 200), "contact": ("a@example.org", 100), "phone": (None, 300)}
    updates = [
        ("shipping", OLD, True),
        ("shipping", NEW, False),  # the first copy went unanswered
        ("shipping", NEW, True),  # a resent copy was answered
        ("phone", None, False),  # a removal not acknowledged yet
    ]
    assert field_states(disclosed, updates) == {
        "shipping": FieldState(NEW, 200, acknowledged=True),
        # Never updated: the accept's own value, acknowledged by the confirm.
        "contact": FieldState("a@example.org", 100, acknowledged=True),
        "phone": FieldState(None, 300, acknowledged=False),
    }
    assert not field_states({"shipping": (NEW, 200)}, [("shipping", NEW, False)])[
        "shipping"
    ].acknowledged


def test_a_change_goes_to_live_holders_of_another_value_and_silence_is_told_apart() -> None:
    holdings = [
        Holding(b"a", b"A", live=True, value=OLD, acknowledged=True),
        Holding(b"b", b"B", live=True, value=None, acknowledged=True),  # never had it
        Holding(b"c", b"C", live=False, value=OLD, acknowledged=True),  # forgotten
        Holding(b"d", b"D", live=True, value=NEW, acknowledged=False),  # has it, silent
        Holding(b"e", b"E", live=True, value="Elsewhere 3", acknowledged=True),
    ]
    assert update_targets(holdings, NEW) == [b"a", b"e"]
    assert update_targets(holdings, NEW, old=OLD) == [b"a"]
    assert silent(holdings) == [b"d"]


def test_a_deletion_term_is_overdue_only_past_its_grace_without_a_statement() -> None:
    due = 1_000
    assert not deletion_overdue(due, None, now=due + DELETION_GRACE)
    assert deletion_overdue(due, None, now=due + DELETION_GRACE + 1)
    assert not deletion_overdue(due, due + 5, now=due + 10 * DELETION_GRACE)
    assert not deletion_overdue(None, None, now=10**9)
