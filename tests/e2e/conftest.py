"""Fixtures of the end-to-end tests (defined in e2e_fixtures.py, shared with tests/airflow and
tests/postgres; helpers: e2e_project.py, ../demo_world.py)."""

from e2e_fixtures import meltano_installed, project, world

__all__ = ["meltano_installed", "project", "world"]
