"""The arena: battles between models, votes (human, LLM judge, execution) and their ratings."""
