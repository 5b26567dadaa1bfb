"""Saved cohorts, the audit of cohort exports and user-defined neighbourhoods: SQLModel tables (``cohort_*``) with
their own Alembic migrations."""
