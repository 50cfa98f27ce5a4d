"""Fuzz tests: every decoder, validator, frame reader and file parser fed
mutated and arbitrary input, bounded to keep the suite's time. Longer runs:
``INTENTCAST_FUZZ_EXAMPLES=N`` here, and the atheris harnesses in ``fuzz/``
(docs/security.md, "Fuzzing")."""
