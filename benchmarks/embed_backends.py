"""Which backend runs the e5 folder fastest here, and at what retrieval quality.

All variants embed the same XQuAD Arabic contexts with the same length-bucketed batches, in one
process, alternating rounds (best round kept), then embed the XQuAD questions for MRR@10:

* torch fp32 / bf16 (:mod:`index.bert_encoder`), plain linears and oneDNN-fused ones;
* ONNX Runtime fp32 (``torch.onnx.export`` + ORT's BERT graph fusions) and ONNX Runtime int8
  (dynamic quantisation of that graph, per-channel int8 weights) — only when ``onnx`` and
  ``onnxscript`` are installed (sentence-transformers' own ``backend="onnx"`` needs ``optimum``,
  whose current release pins transformers < 4.58, incompatible with this project's 5.x).

Also prints the fp32 matmul peak measured on this machine and the FLOPs of one passage.

    .venv/bin/python benchmarks/embed_backends.py [--home DIR] [--passages N] [--rounds N] [--no-onnx]

Writes benchmarks/results/embed_backends.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.embed import DEFAULT_DATA, load_squad, mrr_at_10  # noqa: E402
from index.e5_embedder import E5Embedder, available_cores, length_batches  # noqa: E402
from index.e5_model import PASSAGE_PROMPT, QUERY_PROMPT, ensure_e5_model  # noqa: E402
from qa.settings import Settings  # noqa: E402

EmbedFn = Callable[[list[str], Any], np.ndarray]


def matmul_peak(dtype_name: str, threads: int) -> float:
    """Best GFLOP/s of a (3200×384)·(384×1536) and a 2048³ product: e5-sized and large."""
    import torch

    torch.set_num_threads(threads)
    dtype = getattr(torch, dtype_name)
    best = 0.0
    for m, k, n in ((3200, 384, 1536), (3200, 1536, 384), (2048, 2048, 2048)):
        a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
        for _ in range(3):
            a @ b
        for _ in range(10):
            t = time.perf_counter()
            a @ b
            best = max(best, 2 * m * k * n / (time.perf_counter() - t) / 1e9)
    return best


def flops_per_passage(tokens: float, layers: int = 12, hidden: int = 384, ff: int = 1536) -> float:
    linear = 2 * (4 * hidden * hidden + 2 * hidden * ff)  # Q, K, V, O and the two FFN matrices, per token
    attention = 2 * 2 * tokens * hidden  # QKᵀ and AV, per token
    return layers * tokens * (linear + attention)


class OrtEmbedder:
    """The same folder exported to ONNX and run by ONNX Runtime (mean pooling, L2 norm)."""

    def __init__(self, onnx_path: Path, tokenizer: Any, threads: int) -> None:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer

    def embed(self, texts: list[str], kind: Any) -> np.ndarray:
        prompt = QUERY_PROMPT if kind == "query" else PASSAGE_PROMPT
        enc = self.tokenizer([prompt + t for t in texts], truncation=True, max_length=512)["input_ids"]
        out = np.empty((len(texts), 384), dtype=np.float32)
        for batch in length_batches([len(e) for e in enc], 4096, 64):
            width = max(len(enc[i]) for i in batch)
            ids = np.full((len(batch), width), 1, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for r, i in enumerate(batch):
                ids[r, : len(enc[i])] = enc[i]
                mask[r, : len(enc[i])] = 1
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out[batch] = pooled
        normalised: np.ndarray = out / np.linalg.norm(out, axis=1, keepdims=True)
        return normalised


def export_onnx(folder: Path, workdir: Path) -> dict[str, Path]:
    """fp32 ONNX (ORT BERT fusions applied) and its int8 dynamic quantisation."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel

    class Encoder(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return out

    model = AutoModel.from_pretrained(str(folder)).eval()
    raw = workdir / "model.onnx"
    ids = torch.tensor([[0, 1000, 2000, 2], [0, 3000, 2, 1]])
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq", max=512)
    torch.onnx.export(
        Encoder(model),
        (ids, (ids != 1).long()),
        str(raw),
        input_names=["input_ids", "attention_mask"],
        output_names=["token_embeddings"],
        dynamic_shapes=({0: batch, 1: seq}, {0: batch, 1: seq}),
        dynamo=True,
        external_data=False,
    )
    opt = optimizer.optimize_model(str(raw), model_type="bert", num_heads=12, hidden_size=384, opt_level=1)
    fp32 = workdir / "model-opt.onnx"
    opt.save_model_to_file(str(fp32))
    int8 = workdir / "model-opt-int8.onnx"
    quantize_dynamic(
        str(fp32),
        str(int8),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    return {"ort-fp32": fp32, "ort-int8": int8}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: SANAD_MODELS)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--passages", type=int, default=120, help="contexts timed per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-onnx", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "embed_backends.json")
    args = parser.parse_args()
    threads = available_cores()
    folder = ensure_e5_model(args.models or Settings().models)
    contexts, questions = load_squad(args.data)
    timed = contexts[: args.passages]

    results: dict[str, Any] = {"cores": threads, "loadavg_start": os.getloadavg()[0]}
    peak32 = matmul_peak("float32", threads)
    peak16 = matmul_peak("bfloat16", threads)
    variants: dict[str, EmbedFn] = {}
    for precision in ("fp32", "bf16"):
        for fuse in (False, True):
            e = E5Embedder(model_dir=folder, precision=precision, fuse=fuse)
            variants[f"torch-{precision}{'-fused' if fuse else ''}"] = e.embed
    tokens = float(np.mean(e.token_lengths(timed, "passage")))
    tmp = tempfile.TemporaryDirectory()
    if not args.no_onnx:
        try:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(folder))
            for name, path in export_onnx(folder, Path(tmp.name)).items():
                variants[name] = OrtEmbedder(path, tokenizer, threads).embed
        except ImportError as exc:
            print(f"ONNX variants skipped: {exc}", file=sys.stderr)

    speed: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    for fn in variants.values():
        fn(timed[:4], "passage")  # warm-up
    for _ in range(max(1, args.rounds)):
        for name, fn in variants.items():
            t = time.perf_counter()
            vectors[name] = fn(timed, "passage")
            speed[name] = max(speed.get(name, 0.0), len(timed) / (time.perf_counter() - t))
    ref = vectors["torch-fp32"]
    gold = [g for _, g in questions]
    table = {}
    for name, fn in variants.items():
        ctx = fn(contexts, "passage")
        q = fn([text for text, _ in questions], "query")
        table[name] = {
            "passages_per_s": speed[name],
            "min_cosine_to_fp32": float((vectors[name] * ref).sum(1).min()),
            "mrr_at_10_xquad_ar": mrr_at_10(q, ctx, gold),
        }
    tmp.cleanup()
    flops = flops_per_passage(tokens)
    results.update(
        {
            "variants": table,
            "mean_tokens_per_passage": tokens,
            "gflop_per_passage": flops / 1e9,
            "fp32_matmul_peak_gflops": peak32,
            "bf16_matmul_peak_gflops": peak16,
            "fp32_limit_passages_per_s": peak32 * 1e9 / flops,
            "loadavg_end": os.getloadavg()[0],
        }
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"{'variant':<20} {'passages/s':>10} {'min cos':>9} {'MRR@10':>8}")
    for name, row in table.items():
        print(
            f"{name:<20} {row['passages_per_s']:>10.2f} {row['min_cosine_to_fp32']:>9.5f}"
            f" {row['mrr_at_10_xquad_ar']:>8.4f}"
        )
    print(
        f"{tokens:.0f} tokens/passage → {flops / 1e9:.2f} GFLOP; matmul peak fp32 {peak32:.0f} GFLOP/s "
        f"(bf16 {peak16:.0f}) → fp32 limit {results['fp32_limit_passages_per_s']:.1f} passages/s; "
        f"load avg {results['loadavg_start']:.1f} → {results['loadavg_end']:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
