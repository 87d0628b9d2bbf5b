"""What the project tests share: the lessons the ImageNet test executes, which the site test then builds pages from."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def executed_lessons(tmp_path_factory) -> Path:
    """A folder where test_lessons_on_imagenet.py leaves each lesson it executed; test_site.py (which runs after it,
    by name) builds the site from them instead of executing every lesson again, and executes any that are missing."""
    return tmp_path_factory.mktemp("executed-lessons")
