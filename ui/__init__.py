"""Reusable Streamlit widgets and cached wrappers for the pages (with pages/, the only code importing streamlit)."""
