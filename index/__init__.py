"""Sanad's index: documents → chunks → embeddings → stores → retrieval. Imports nothing from ``qa``."""
