"""Coverage-guided fuzz harnesses (atheris) for the long runs; see docs/security.md."""
