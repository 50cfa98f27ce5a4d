"""intentcast: a peer-to-peer marketplace node for the intention economy.

Customers post signed, anonymous purchase intentions; vendors answer with
sealed offers; the customer's own node ranks them. See ``docs/protocol.md``.
"""

__version__ = "0.1.0"
