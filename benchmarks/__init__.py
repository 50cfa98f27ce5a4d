"""Reproducible performance runs: ``python -m benchmarks NAME [--json]``.

Each benchmark is a module ``benchmarks/NAME.py`` with a ``main(argv)``
function. Benchmarks measure ratios side by side in one run (our code vs
the bare library floor), because absolute times on shared machines drift.
"""
