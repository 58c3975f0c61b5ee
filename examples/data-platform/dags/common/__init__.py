"""Helpers shared by the DAGs in this folder (not DAGs themselves; see .airflowignore)."""
