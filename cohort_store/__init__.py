"""Saved cohorts and the audit of cohort exports: SQLModel tables (``cohort_*``) with their own Alembic migrations."""
