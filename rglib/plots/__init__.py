"""Figures: pure functions from parameters/results to matplotlib Figures (no physics here)."""
