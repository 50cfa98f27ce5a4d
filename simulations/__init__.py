"""Discrete-event simulator of the intentcast network (issue 7); see docs/simulations.md."""
