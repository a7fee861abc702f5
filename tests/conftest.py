"""Shared test fixtures. Fixture modules of each layer are imported here by name."""

from __future__ import annotations

from pathlib import Path

import os

import pytest
from hypothesis import settings

# CI replays the same examples every run (a failure found locally becomes a fixture case);
# developers get fresh random examples each run.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
from tests.registry_fixtures import *  # noqa: F401,F403
