"""Scoring: turning verdicts into metrics (pass@k, intervals, paired tests)."""
