"""Kelisim's scanner: proves in CI what a live site sets in every consent state."""
