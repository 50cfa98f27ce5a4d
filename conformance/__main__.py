"""Conformance checks of an intentcast implementation (docs/conformance.md).

python -m conformance vectors [--adapter CMD] [--only PREFIX] [-v]
python -m conformance node MULTIADDR [--pow-bits KIND=BITS ...] [--max-rejected N]
                                    [--rate N] [--burst N] [--max-over-rate N]
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    vec = sub.add_parser("vectors", help="run every vector through an adapter")
    vec.add_argument("--adapter", default=None, help="command speaking the adapter protocol "
                     "(default: the reference, python -m conformance.adapter)")  # fmt: skip
    vec.add_argument("--only", default="", help="only vectors whose name starts with this")
    vec.add_argument("-v", "--verbose", action="store_true", help="print passes too")
    node = sub.add_parser("node", help="check a running node over libp2p")
    node.add_argument("multiaddr", help="the node's address, ending in /p2p/<peer id>")
    node.add_argument("--pow-bits", nargs="*", default=None, metavar="KIND=BITS",
                      help="the network's proof of work (default: the protocol's)")  # fmt: skip
    node.add_argument("--max-rejected", type=int, default=20,
                      help="strikes a node tolerates per window (wire.md: 20)")  # fmt: skip
    node.add_argument("--rate", type=float, default=200.0,
                      help="messages a second taken from one peer (wire.md: 200)")  # fmt: skip
    node.add_argument("--burst", type=float, default=400.0,
                      help="the message burst it allows (wire.md: 400)")  # fmt: skip
    node.add_argument("--max-over-rate", type=int, default=200,
                      help="drops for rate it tolerates per window (wire.md: 200)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.command == "vectors":
        from .vectors import OUR_ADAPTER, run

        return run(args.adapter or OUR_ADAPTER, only=args.only, verbose=args.verbose)
    import trio

    from intentcast.peer.limits import PeerLimitConfig

    from . import node_check

    limits = PeerLimitConfig(
        messages_per_second=args.rate,
        message_burst=args.burst,
        max_over_rate=args.max_over_rate,
    )
    bits = None
    if args.pow_bits is not None:
        bits = {k: int(v) for k, v in (item.split("=", 1) for item in args.pow_bits)}
    return trio.run(
        lambda: node_check.run(
            args.multiaddr, pow_bits=bits, max_rejected=args.max_rejected, limits=limits
        )
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
