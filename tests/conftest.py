"""Shared test setup. Nothing here may reach the network: the hub is offline on this machine."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Tests never talk to a real LLM endpoint unless they start one themselves.
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
    os.environ.pop(_var, None)
for _var in [v for v in os.environ if v.startswith("SANAD_")]:
    os.environ.pop(_var, None)
