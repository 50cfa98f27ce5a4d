"""Each scenario on a small network: what a user of the report would check."""

from __future__ import annotations

import io
import json
from typing import Any

from simulations.cli import main

FAST = ["--work-bits", "4", "--degree", "8", "--json"]


def scenario(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    assert main([*args, *FAST], stdout=out) == 0
    result: dict[str, Any] = json.loads(out.getvalue())["results"]
    return result


def test_spam_never_makes_an_invalid_message_reach_an_honest_vendor() -> None:
    r = scenario(
        "spam", "--nodes", "200", "--intents", "10", "--spammers", "0.05", "--vendors", "0.3"
    )
    spam = r["with_spam"]["spam"]
    assert spam["messages_sent"] > 0 and spam["refused_by_honest"] > 0
    assert spam["accepted_by_honest_nodes"] == 0
    assert spam["accepted_by_honest_vendors"] == 0
    # Vendors with no spammer among their peers never even see one: no
    # honest node forwards what it refused.
    assert spam["vendors_not_next_to_a_spammer"] > 0
    assert spam["refused_by_those"] == 0
    assert spam["cut_off"]["never_cut_off"] == 0
    assert spam["bans_of_honest_nodes"] == 0
    assert r["with_spam"]["delivery"] == 1.0


def test_churn_sync_brings_missed_intents_to_vendors_that_return() -> None:
    r = scenario(
        "churn",
        "--nodes",
        "200",
        "--intents",
        "20",
        "--churn",
        "0.3",
        "--uptime",
        "2",
        "--downtime",
        "8",
    )
    with_sync, without = r["with_sync"], r["without_sync"]
    assert with_sync["vendors_down_at_publish"]["pairs"] > 0
    assert with_sync["delivery_to_vendors"] == 1.0
    assert with_sync["first_copy_via"]["sync"] > 0
    assert without["delivery_to_vendors"] < 1.0
    assert "sync" not in without["first_copy_via"]


def test_market_ranking_does_better_than_a_random_offer() -> None:
    r = scenario("market", "--nodes", "150", "--vendors", "12", "--intents", "12")
    assert r["offers_delivered"] == 1.0
    assert r["intents_without_offer"] < r["intents"] / 2
    assert r["ranked_first_score"]["mean"] > r["random_pick_score"]["mean"]
    assert r["ranked_first_price_pct_of_max"]["mean"] <= r["random_pick_price_pct_of_max"]["mean"]
    assert r["time_to_first_offer"]["p50_ms"] <= r["time_to_best_offer"]["p50_ms"]


def test_model_check_rebuilds_the_benchmark_and_reports_the_gap() -> None:
    out = io.StringIO()
    assert main(["model-check", "--nodes", "10", "--work-bits", "4", "--json"], stdout=out) == 0
    result = json.loads(out.getvalue())
    assert result["config"]["links"] == 25  # docs/benchmarks.md: N=10 has 25 links
    for calibration in ("notes", "cpu"):
        for mode in ("raw", "node"):
            row = result["results"][calibration][mode]
            assert row["simulated"]["delivery"] == 1.0
            assert set(row["gap_ms"]) == {"p50_ms", "p99_ms"}
    # The CPU-counter calibration charges every copy all the measured CPU,
    # the per-hop figure only what gossip itself costs: it is the dearer one.
    notes, cpu = result["results"]["notes"], result["results"]["cpu"]
    assert cpu["raw"]["simulated"]["copy_cpu_ms"] > notes["raw"]["simulated"]["copy_cpu_ms"]
    assert cpu["raw"]["simulated"]["p50_ms"] > notes["raw"]["simulated"]["p50_ms"]


def test_adversary_subscriptions_and_hello_name_rare_authors_and_the_fixes_remove_it() -> None:
    run = scenario(
        "adversary", "--nodes", "200", "--intents", "60", "--spies", "0.1", "--seed", "2",
        "--followed", "2,8",
    )  # fmt: skip
    r = run["guessed_right"]["10%"]
    # Before: a spy next to the author sees it subscribe to a category no
    # one else posts in; after: only the first-spy guess is left.
    assert r["rare/before"] > 2 * r["rare/after"]
    assert r["busy/before"] >= r["busy/after"]
    assert r["rare/after"] == r["busy/after"]
    # A spy that knows its neighbours' buckets does at least as well as the
    # first-spy guess (it keeps it whenever it is possible), and rules it
    # out more often the fewer buckets a customer follows.
    assert r["buckets 2/16"] >= r["busy/after"]
    assert (
        r["buckets 2/16: first-spy guess ruled out"] >= r["buckets 8/16: first-spy guess ruled out"]
    )


def test_nodes_that_follow_every_bucket_hide_customers_from_the_bucket_spy() -> None:
    """Vendors and relays follow every bucket: a neighbour of that kind is
    never ruled out, so the more of them, the less the spy's knowledge of
    the buckets adds to the first-spy guess."""
    runs = [
        scenario(
            "adversary", "--nodes", "200", "--intents", "60", "--spies", "0.2",
            "--seed", "2", "--all-buckets", share,
        )["guessed_right"]["20%"]
        for share in ("0", "0.3", "0.6")
    ]  # fmt: skip
    ruled_out = [r["buckets 2/16: first-spy guess ruled out"] for r in runs]
    assert ruled_out[0] > ruled_out[1] > ruled_out[2]
    # The spy's figure falls towards the first-spy guess (the same stems).
    assert runs[0]["buckets 2/16"] > runs[2]["buckets 2/16"] >= runs[2]["busy/after"]


def test_quiet_customers_leave_the_bucket_spy_nothing_beyond_the_first_spy_guess() -> None:
    """Customers that take no part in the intents' gossip (docs/privacy.md
    section 10): no customer ever forwards an intent, the author never
    sends its own in gossip, so the only customer a spy receives an intent
    from is a stem predecessor, and knowing the neighbours' buckets adds
    nothing to the first-spy guess; every follower still gets every
    intent, and an author whose embargo fires sends it down the stem again."""
    run = scenario(
        "adversary", "--nodes", "200", "--intents", "60", "--spies", "0.2", "--seed", "2",
        "--all-buckets", "0.14", "--dial-follower", "--quiet-customers", "--drain", "90",
    )  # fmt: skip
    r = run["guessed_right"]["20%"]
    assert r["quiet: a customer forwarded it in gossip"] == 0
    assert r["quiet: author sent it in gossip"] == 0
    assert r["buckets 2/16"] <= r["busy/after"]
    assert r["buckets 2/16, customers only"] <= r["busy/after"]
    assert r["quiet: delivered to all followers"] == 1
    assert r["quiet: confirmed by probe"] == 1
    assert r["quiet: embargo fired (intents)"] > 0
    assert run["plain gossip"]["delivered to all followers"] == 1


def test_quiet_customers_pay_less_than_with_the_intents_topics() -> None:
    """With a relay among every node's peers (a quiet customer's intents
    reach the followers through it) and 16 peers a node (at 8, the
    vendors and relays of so small a network are too few to link up among
    themselves, and vendors miss intents), every offer arrives, at fewer
    bytes, the probes included."""
    out = io.StringIO()
    args = [
        "follow-cost", "--nodes", "120", "--vendors", "10", "--intents", "10",
        "--policies", "buckets,quiet", "--dial-relay", "--work-bits", "4", "--json",
    ]  # fmt: skip
    assert main(args, stdout=out) == 0
    r = json.loads(out.getvalue())["results"]
    assert r["quiet"]["customers_with_probes"] < r["buckets"]["customers"]
    assert r["quiet"]["offers_received"] == r["buckets"]["offers_received"]


def test_the_offer_feed_brings_every_offer_to_customers_that_follow_no_offer_topic() -> None:
    """Issue 20's offer feed: a customer follows no offer bucket and its
    carrier (its dialled relay) pushes it every sealed offer once. Every
    offer made reaches its customer, all of them by the feed; the relays
    pay for it (their bytes hold what they pushed, and grow against quiet
    customers following 2 buckets) and each customer's bytes hold what it
    was pushed."""
    out = io.StringIO()
    args = [
        "follow-cost", "--nodes", "120", "--vendors", "10", "--intents", "10",
        "--policies", "quiet,feed", "--dial-relay", "--relay-dials", "1",
        "--work-bits", "4", "--json",
    ]  # fmt: skip
    assert main(args, stdout=out) == 0
    r = json.loads(out.getvalue())["results"]
    feed, quiet = r["feed"], r["quiet"]
    assert feed["offers_received"] == feed["offers_made"] > 0
    assert feed["own_offers_via"] == {"feed": feed["offers_received"]}
    assert quiet["own_offers_via"] == {"gossip": quiet["offers_received"]}
    assert feed["offer_topics_per_customer"] == 0
    assert quiet["offer_topics_per_customer"] == 2
    assert feed["relays"] > quiet["relays"]
    assert feed["relays"] > feed["feed_per_relay"] > 0
    assert feed["customers"] > feed["feed_per_customer"] > 0
    assert feed["offer_delay_ms"]["p50"] <= feed["offer_delay_ms"]["p99"]
    assert feed["probe_per_customer"] == quiet["probe_per_customer"]


def test_the_feed_leaves_spies_no_bucket_and_links_no_two_intents_by_topic() -> None:
    """Feed customers follow no bucket and draw keys in any: a spy rules no
    neighbour out by its buckets (no better than the first-spy guess, as
    ``buckets 16/16``), and two intents of one customer share an offer
    topic far less often than with 2 buckets followed."""
    run = scenario(
        "adversary", "--nodes", "200", "--intents", "60", "--spies", "0.1,0.2", "--seed", "2",
        "--all-buckets", "0.14", "--dial-follower", "--quiet-customers", "--drain", "90",
        "--followed", "2,16", "--feed",
    )  # fmt: skip
    for r in run["guessed_right"].values():
        assert r["feed: first-spy guess ruled out"] == 0
        assert r["feed"] == r["buckets 16/16"] <= r["busy/after"]
        assert "linkability" not in r
    link = run["linkability"]
    assert link["buckets 2/16"]["own_pairs"] == link["feed"]["own_pairs"] > 0
    assert link["buckets 2/16"]["one customer share a topic"] > 0.3
    assert link["feed"]["one customer share a topic"] < 0.2
    assert link["feed"]["times as often"] < link["buckets 2/16"]["times as often"]


def test_following_every_topic_costs_customers_more_and_delivers_every_offer() -> None:
    r = scenario("follow-cost", "--nodes", "120", "--vendors", "10", "--intents", "10")
    assert r["all"]["customers"] > r["own"]["customers"]
    assert r["all"]["offers_received"] == r["all"]["offers_made"] > 0
    assert r["ratio_all_to_own"] > 1
    # Offer buckets: a customer follows 2 of 16 and pays for less.
    assert r["own"]["customers"] < r["buckets"]["customers"] < r["all"]["customers"]
    assert 1 < r["ratio_buckets_to_own"] < r["ratio_all_to_own"]


def test_offer_buckets_deliver_every_offer_with_sixteen_peers_a_node() -> None:
    """At the default 16 peers a node, every customer has peers on its
    buckets (relays, vendors, customers sharing one). At 8 (the other
    tests' quick setting) some have none: docs/privacy.md, section 8."""
    out = io.StringIO()
    args = ["follow-cost", "--nodes", "120", "--vendors", "10", "--intents", "10"]
    assert main([*args, "--policies", "buckets", "--work-bits", "4", "--json"], stdout=out) == 0
    r = json.loads(out.getvalue())["results"]["buckets"]
    assert r["offers_received"] == r["offers_made"] > 0
