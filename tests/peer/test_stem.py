"""The stem state machine (intentcast.peer.stem) without a network: each
event's commands, as the node and the simulator carry them out."""

from __future__ import annotations

import random
from typing import Any

from intentcast.peer import topics
from intentcast.peer.stem import (
    QUIET_PROBE_WINDOW,
    WRONG_STEM_TOPIC,
    StemLimits,
    StemNode,
    judge_relayed,
    relay_strike,
)
from intentcast.peer.stem_commands import Command, End, Publish, Send, Timer, Wait
from intentcast.protocol import Action, validate
from intentcast.protocol.stem import StemParams
from tests.protocol.builders import (
    NO_WORK,
    sealed_offer,
    signed_intent,
    signed_offer,
    signed_rating_reply,
    vendor_keys,
)
from tests.protocol.builders import NOW as NOW_S

RELAYER = StemParams(fluff_probability=1e-9)  # never a diffuser
DIFFUSER = StemParams(fluff_probability=1.0)
PEERS = ["a", "b", "c"]
NOW = 1_000.0


def sent_to(commands: list[Command[str]]) -> Send[str]:
    """The one command of ``commands``, a send."""
    [command] = commands
    assert isinstance(command, Send)
    return command


def node(params: StemParams = RELAYER, **limits: int) -> StemNode[str]:
    return StemNode[str](params, random.Random(1), limits=StemLimits(**limits), phase=0.0)


def test_an_own_message_waits_for_a_peer_then_goes_to_the_own_successor() -> None:
    n = node()
    assert n.own(b"m", NOW, [], []) == []
    assert n.holds_own(b"m")
    send = sent_to(n.peers_changed(NOW, PEERS, PEERS))
    assert send.peer in PEERS
    # Every own message of the epoch goes to the same successor.
    assert n.own(b"m2", NOW, PEERS, PEERS) == [Send(b"m2", send.peer)]


def test_handed_over_it_waits_for_the_fluff_and_publishes_it_when_the_embargo_ends() -> None:
    n = node()
    send = sent_to(n.own(b"m", NOW, PEERS, PEERS))
    [wait] = n.sent(b"m", send.peer)
    assert isinstance(wait, Wait) and wait.timer is Timer.EMBARGO
    assert wait.seconds >= RELAYER.embargo_base_seconds
    assert n.timer_fired(b"m", Timer.EMBARGO) == [Publish(b"m", End.EMBARGO)]
    assert not n.holds(b"m")


def test_a_message_back_by_gossip_ends_its_stem_and_its_timer_does_nothing() -> None:
    n = node()
    send = sent_to(n.own(b"m", NOW, PEERS, PEERS))
    n.sent(b"m", send.peer)
    assert n.came_back(b"m") is True
    assert n.timer_fired(b"m", Timer.EMBARGO) == []
    assert n.came_back(b"other") is None


def test_a_relayed_message_goes_on_never_back_to_its_sender() -> None:
    n = node()
    for sender in PEERS:
        send = sent_to(
            n.relayed(sender.encode(), sender, NOW, PEERS, PEERS, seen=False, watch=True)
        )
        assert send.peer != sender


def test_stems_end_at_a_diffuser_on_a_loop_and_at_a_full_node() -> None:
    d = node(DIFFUSER)
    assert d.relayed(b"m", "a", NOW, PEERS, PEERS, seen=False, watch=True) == [
        Publish(b"m", End.DIFFUSER)
    ]
    n = node(max_held=1)
    send = sent_to(n.relayed(b"m", "a", NOW, PEERS, PEERS, seen=False, watch=False))
    n.sent(b"m", send.peer)
    assert n.relayed(b"m", "b", NOW, PEERS, PEERS, seen=False, watch=False) == [
        Publish(b"m", End.LOOP)
    ]
    n.relayed(b"x", "a", NOW, PEERS, PEERS, seen=False, watch=False)
    assert n.relayed(b"y", "a", NOW, PEERS, PEERS, seen=False, watch=False) == [
        Publish(b"y", End.FULL)
    ]
    # Already had by gossip: nothing to do.
    assert n.relayed(b"z", "a", NOW, PEERS, PEERS, seen=True, watch=False) == []


def test_successors_that_do_not_take_it_are_replaced_then_the_stem_ends_here() -> None:
    n = node()
    send = sent_to(n.own(b"m", NOW, PEERS, PEERS))
    commands = n.send_failed(b"m", send.peer, NOW, PEERS, PEERS)
    assert sent_to(commands).peer != send.peer
    while isinstance(commands[0], Send):
        commands = n.send_failed(b"m", commands[0].peer, NOW, PEERS, PEERS)
    assert commands == [Publish(b"m", End.NO_SUCCESSOR)]


def test_a_successor_that_leaves_has_what_it_held_sent_down_another_stem() -> None:
    n = node()
    send = sent_to(n.own(b"m", NOW, PEERS, PEERS))
    n.sent(b"m", send.peer)
    left = [p for p in PEERS if p != send.peer]
    again = sent_to(n.peer_left(send.peer, NOW, left, left))
    assert again.peer in left
    assert n.sent(b"m", again.peer) == []  # the first embargo timer still stands
    # A lone author holds it until it has a peer again.
    assert n.peer_left(again.peer, NOW, [], []) == []
    assert n.holds_own(b"m")
    resent = sent_to(n.peers_changed(NOW, ["d"], ["d"]))
    assert resent == Send(b"m", "d")


def test_a_relay_that_cannot_see_the_fluff_holds_a_message_only_for_a_while() -> None:
    n = node()
    send = sent_to(n.relayed(b"m", "a", NOW, PEERS, PEERS, seen=False, watch=False))
    [wait] = n.sent(b"m", send.peer)
    assert wait == Wait(b"m", RELAYER.embargo_base_seconds, Timer.RELEASE)
    assert n.timer_fired(b"m", Timer.RELEASE) == []
    assert not n.holds(b"m")


# --- quiet authors (docs/privacy.md section 10) ------------------------------------------


def test_a_quiet_author_sends_its_message_down_the_stem_again_when_the_embargo_fires() -> None:
    n = node()
    send = sent_to(n.own(b"m", NOW, PEERS, PEERS, watch=False))
    [wait] = n.sent(b"m", send.peer)
    # The same timer as every author's and relay's: it does not stand out.
    assert isinstance(wait, Wait) and wait.timer is Timer.EMBARGO
    assert n.unconfirmed() == [b"m"]
    # Never published by its author: down the stem again, to the epoch's
    # own successor, with a fresh timer once handed over.
    again = sent_to(n.timer_fired(b"m", Timer.EMBARGO, NOW + 30, PEERS, PEERS))
    assert again == Send(b"m", send.peer)
    [wait2] = n.sent(b"m", again.peer)
    assert isinstance(wait2, Wait) and wait2.timer is Timer.EMBARGO
    # A probe that finds it in a follower's inventory ends its stem.
    assert n.came_back(b"m") is True
    assert n.unconfirmed() == []
    assert n.timer_fired(b"m", Timer.EMBARGO, NOW + 60, PEERS, PEERS) == []


def test_a_stem_that_loops_back_to_a_quiet_author_goes_on_rather_than_end_there() -> None:
    n = node()
    send = sent_to(n.own(b"m", NOW, PEERS, PEERS, watch=False))
    n.sent(b"m", send.peer)
    back = sent_to(n.relayed(b"m", "c", NOW, PEERS, PEERS, seen=False, watch=False))
    assert back.peer != "c"
    assert n.holds_own(b"m")
    # A relay's loop still ends at once.
    relay = node()
    relay.relayed(b"x", "a", NOW, PEERS, PEERS, seen=False, watch=False)
    assert relay.relayed(b"x", "b", NOW, PEERS, PEERS, seen=False, watch=False) == [
        Publish(b"x", End.LOOP)
    ]


def test_a_peer_that_swallows_a_quiet_authors_message_cannot_hold_it_back() -> None:
    n = node()
    first = sent_to(n.own(b"m", NOW, PEERS, PEERS, watch=False)).peer
    n.sent(b"m", first)
    # The first re-send goes to the same peer (a lost stream, a slow stem) ...
    assert sent_to(n.timer_fired(b"m", Timer.EMBARGO, NOW + 30, PEERS, PEERS)).peer == first
    n.sent(b"m", first)
    # ... then to peers it never went to, each once, dialled ones first ...
    undialled = [p for p in PEERS if p != first][-1]
    dialled = [p for p in PEERS if p != undialled]
    tried = {first}
    for _ in range(len(dialled) - 1):
        peer = sent_to(n.timer_fired(b"m", Timer.EMBARGO, NOW + 60, PEERS, dialled)).peer
        assert peer in dialled and peer not in tried
        tried.add(peer)
        n.sent(b"m", peer)
    last = sent_to(n.timer_fired(b"m", Timer.EMBARGO, NOW + 90, PEERS, dialled)).peer
    assert last == undialled
    n.sent(b"m", last)
    # ... and once every peer had it, the epoch's own successor; never published.
    again = n.timer_fired(b"m", Timer.EMBARGO, NOW + 120, PEERS, dialled)
    assert sent_to(again).peer in PEERS


def test_a_quiet_author_lets_its_message_go_once_no_probe_can_find_it() -> None:
    n = node()
    send = sent_to(n.own(b"m", NOW, PEERS, PEERS, watch=False))
    n.sent(b"m", send.peer)
    late = NOW + QUIET_PROBE_WINDOW
    # Still within the window, and a new epoch by then: down the stem
    # again, to the peer that had it already (a new successor would learn
    # that this node re-sends a message, which only an author does).
    again = sent_to(n.timer_fired(b"m", Timer.EMBARGO, late - 1, PEERS, PEERS))
    assert again.peer == send.peer
    n.sent(b"m", again.peer)
    # That peer gone, the epoch's own successor.
    rest = [p for p in PEERS if p != send.peer]
    other = sent_to(n.timer_fired(b"m", Timer.EMBARGO, late - 1, rest, rest))
    assert other.peer in rest
    n.sent(b"m", other.peer)
    assert n.timer_fired(b"m", Timer.EMBARGO, late, PEERS, PEERS) == []
    assert not n.holds(b"m")


def test_a_quiet_author_without_a_successor_holds_its_message_rather_than_publish_it() -> None:
    n = node()
    send = sent_to(n.own(b"m", NOW, PEERS, PEERS, watch=False))
    commands = n.send_failed(b"m", send.peer, NOW, PEERS, PEERS)
    while commands and isinstance(commands[0], Send):
        commands = n.send_failed(b"m", commands[0].peer, NOW, PEERS, PEERS)
    assert commands == []
    assert n.holds_own(b"m")
    assert n.timer_fired(b"m", Timer.EMBARGO, NOW, [], []) == []
    assert sent_to(n.peers_changed(NOW, PEERS, PEERS)).peer in PEERS


def test_a_diffuser_that_no_peer_of_which_follows_the_topic_passes_the_message_on() -> None:
    d = node(DIFFUSER)
    send = sent_to(d.relayed(b"m", "a", NOW, PEERS, PEERS, seen=False, watch=False, reach=False))
    assert send.peer != "a"
    assert d.relayed(b"n", "a", NOW, PEERS, PEERS, seen=False, watch=False, reach=True) == [
        Publish(b"n", End.DIFFUSER)
    ]


# --- what a node takes over the stem at all (judge_relayed) -----------------------------


def _validated(signed: Any, *, tamper: bool = False, at: int = NOW_S + 120) -> Any:
    raw = signed.raw[:-1] + bytes([signed.raw[-1] ^ 1]) if tamper else signed.raw
    return validate(raw, now=at, params=NO_WORK)


def test_a_valid_stem_message_on_its_topic_is_taken_and_not_forwarded_by_gossip() -> None:
    intent = signed_intent()
    verdict = judge_relayed(topics.intents(intent.message.category[0]), _validated(intent))
    assert verdict.accepted and verdict.signed == intent
    assert verdict.reason == "accept:intent" and not verdict.forward


def test_a_stem_message_off_its_topic_or_of_a_kind_without_a_stem_is_rejected() -> None:
    intent = signed_intent()
    off_topic = judge_relayed(topics.DEALS, _validated(intent))
    assert (off_topic.action, off_topic.reason) == (Action.REJECT, WRONG_STEM_TOPIC)
    assert relay_strike(off_topic) == "stem: wrong kind or topic"
    reply = signed_rating_reply(b"d" * 32, vendor_keys())  # a vendor's reply takes no stem
    assert (
        judge_relayed(topics.RATINGS, _validated(reply, at=NOW_S + 4 * 86_400)).reason
        == WRONG_STEM_TOPIC
    )


def test_a_sealed_offer_is_held_to_its_bucket_only_where_the_intent_is_known() -> None:
    intent = signed_intent()
    sealed = sealed_offer(signed_offer(intent), intent)
    right = topics.offers(intent.signer)
    wrong = next(t for t in topics.ALL_OFFER_TOPICS if t != right)
    validation = _validated(sealed)
    assert judge_relayed(right, validation, intent_key=intent.signer).accepted
    assert judge_relayed(wrong, validation).accepted  # the intent unknown here: any bucket
    refused = judge_relayed(wrong, validation, intent_key=intent.signer)
    assert refused.reason == WRONG_STEM_TOPIC


def test_an_invalid_stem_message_is_refused_for_validations_reason() -> None:
    verdict = judge_relayed(topics.DEALS, _validated(signed_intent(), tamper=True))
    assert verdict.action is Action.REJECT and verdict.reason.startswith("reject:")
    assert relay_strike(verdict) == "stem: " + verdict.reason.removeprefix("reject:")
