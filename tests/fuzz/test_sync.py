"""The sync protocol against a peer that sends anything, cut anywhere:
only SyncError or StreamGone, frames read back as written, and a session
moves only messages that were offered and wanted."""

from __future__ import annotations

from typing import Any

import trio
from hypothesis import given
from hypothesis import strategies as st

from fuzz import sync
from fuzz.harness import run_input
from intentcast.node.sync import SyncError, read_frame, write_frame

from .budget import examples, reproduce
from .mutations import mutated

ID = st.binary(min_size=32, max_size=32)
SEEDS = sync.seeds()


@examples(200)
@given(st.integers(0, 255), st.binary(max_size=400))
def test_arbitrary_bytes_in_any_chunks_raise_only_sync_errors(selector: int, data: bytes) -> None:
    run_input(sync, bytes([selector]) + data)


@examples(200)
@given(st.sampled_from(SEEDS).flatmap(mutated))
def test_a_mutated_session_raises_only_sync_errors_and_moves_only_wanted_messages(
    data: bytes,
) -> None:
    run_input(sync, data)


def frames() -> st.SearchStrategy[dict[str, Any]]:
    """Frames of every type the protocol has, with fields of any shape."""
    topic = st.sampled_from([sync.TOPIC, "", "x" * 101]) | st.text(max_size=10)
    anything = (
        st.none() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=5) | st.binary(max_size=40)
    )
    return st.one_of(
        st.builds(dict, t=st.just("hello"), topics=st.lists(topic, max_size=3) | anything),
        st.builds(
            dict, t=st.sampled_from(["inv", "want"]), ids=st.lists(ID, max_size=4) | anything
        ),
        st.builds(dict, t=st.sampled_from(["inv-end", "want-end", "end"])),
        st.builds(dict, t=st.just("msg"), topic=topic, data=st.binary(max_size=64) | anything),
        st.builds(dict, t=anything),
    )


@examples(100)
@given(st.sampled_from([sync.RESPOND, sync.REQUEST]), st.lists(frames(), max_size=8))
def test_a_session_of_arbitrary_frames_raises_only_sync_errors(
    mode: int, script: list[dict[str, Any]]
) -> None:
    data = b"".join(sync.frame(**f) for f in script)
    run_input(sync, bytes([mode << 6 | 5]) + data)


@examples(100)
@given(
    st.lists(frames().filter(lambda f: type(f["t"]) is str), min_size=1, max_size=5),
    st.integers(1, 50),
)
def test_frames_read_back_as_written_whatever_the_chunking(
    script: list[dict[str, Any]], chunk: int
) -> None:
    async def main() -> list[dict[str, Any]]:
        sender = sync.ScriptedStream(b"", chunk=chunk)
        for f in script:
            await write_frame(sender, f)  # type: ignore[arg-type]
        receiver = sync.ScriptedStream(b"".join(sender.written), chunk=chunk)
        return [await read_frame(receiver, timeout=10) for _ in script]  # type: ignore[arg-type]

    assert trio.run(main) == script


def test_a_responder_sends_each_message_once_however_often_it_is_wanted() -> None:
    """Finding 16: an 8.7 KB message wanted 20,000 times (about 680 KB of
    requests) went out 20,000 times, some 170 MB from one session."""
    wanted = next(iter(sync.stock()))
    session = (
        sync.frame(t="hello", topics=[sync.TOPIC])
        + sync.frame(t="want", ids=[wanted] * 5)
        + sync.frame(t="want-end")
    )
    reproduce(sync, bytes([sync.RESPOND << 6 | 63]) + session)


def test_a_busy_answer_to_a_hello_is_the_named_sync_busy() -> None:
    """A responder that serves this peer already answers ``busy``: the
    requester raises the documented ``SyncBusy``, nothing else; ``busy``
    after an inventory has started is a ``SyncError``."""
    reproduce(sync, bytes([sync.REQUEST << 6 | 63]) + sync.frame(t="busy"))
    late = sync.frame(t="inv", ids=[bytes(32)]) + sync.frame(t="busy")
    reproduce(sync, bytes([sync.REQUEST << 6 | 63]) + late)


def test_a_stream_that_ends_mid_frame_is_a_sync_error_not_a_hang() -> None:
    whole = sync.frame(t="hello", topics=[sync.TOPIC])

    async def main(cut: int) -> None:
        await read_frame(sync.ScriptedStream(whole[:cut], chunk=3), timeout=10)  # type: ignore[arg-type]

    for cut in range(len(whole)):
        try:
            trio.run(main, cut)
        except SyncError as exc:
            assert "closed" in str(exc)
        else:
            raise AssertionError(f"a frame cut at {cut} of {len(whole)} bytes was read")
