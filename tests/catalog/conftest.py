"""Fixtures for the catalog tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def boards(shared_data_dir: Path) -> Path:
    """``shared/data/leaderboards``, read in place."""
    return shared_data_dir / "leaderboards"


@pytest.fixture(scope="session")
def shared_root(shared_data_dir: Path) -> Path:
    """The ``shared`` directory (``data/`` and ``seeds/``)."""
    return shared_data_dir.parent
