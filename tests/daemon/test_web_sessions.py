"""The web app's sign-in codes and sessions (``intentcast.daemon.web.sessions``)."""

from __future__ import annotations

from intentcast.daemon.web.sessions import (
    IDLE_SECONDS,
    LOGIN_SECONDS,
    MAX_CODES,
    WebSessions,
    cookie_name,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_code_works_once_and_only_in_time() -> None:
    clock = Clock()
    web = WebSessions(clock)
    code = web.new_code()
    redeemed = web.redeem(code)
    assert redeemed is not None
    sid, session = redeemed
    assert web.get(sid) is session
    assert web.redeem(code) is None  # spent
    late = web.new_code()
    clock.now += LOGIN_SECONDS + 1
    assert web.redeem(late) is None  # expired
    assert web.redeem("") is None and web.redeem("not-a-code") is None


def test_sessions_end_when_idle_or_signed_out_and_csrf_must_match() -> None:
    clock = Clock()
    web = WebSessions(clock)
    redeemed = web.redeem(web.new_code())
    assert redeemed is not None
    sid, session = redeemed
    assert web.csrf_ok(session, session.csrf)
    assert not web.csrf_ok(session, None) and not web.csrf_ok(session, session.csrf + "x")
    clock.now += IDLE_SECONDS - 1
    assert web.get(sid) is session  # used: the idle time starts again
    clock.now += IDLE_SECONDS - 1
    assert web.get(sid) is session
    clock.now += IDLE_SECONDS + 1
    assert web.get(sid) is None
    other = web.redeem(web.new_code())
    assert other is not None
    assert web.end(other[0]) and web.get(other[0]) is None and not web.end(other[0])


def test_waiting_codes_are_bounded_and_cookies_named_by_port() -> None:
    web = WebSessions(Clock())
    codes = [web.new_code() for _ in range(MAX_CODES + 1)]
    assert web.redeem(codes[0]) is None  # the oldest made room
    assert web.redeem(codes[-1]) is not None
    assert len(set(codes)) == len(codes)
    assert cookie_name(7646) != cookie_name(7647)
