"""Shared test fixtures. Fixture modules of each layer are imported here by name."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
from tests.registry_fixtures import *  # noqa: F401,F403
