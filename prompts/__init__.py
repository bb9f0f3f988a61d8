"""Prompt templates, as files. This package holds data only and imports nothing."""
