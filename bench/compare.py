#!/usr/bin/env python3
"""The kit's speed next to numpy (OpenBLAS) and PyTorch, measured in one run on this machine.

    pip install numpy 'torch==2.13.0+cpu' transformers     # optional, for the comparison only
    python3 bench/compare.py                  # builds and runs `swift run -c release course bench`
    python3 bench/compare.py --swift-json F   # reuse figures the kit already wrote to F

It measures the same figures as `course bench`: matmul GFLOP/s at 256, 512, 1024 and at
transformer shapes on 1 and 2 threads, and one training step (forward, backward, AdamW) of
the same BERT-style classifier (vocab 2000, hidden 128, 2 layers, 2 heads, FFN 512, batch
32 x 64 tokens) in tokens per second. Each library runs in its own process per thread count,
so its thread pool is sized before it starts.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 128, 512), (2048, 512, 128),
          (4096, 384, 1536)]
THREADS = [1, 2]


def median_seconds(fn, repeats, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def numpy_matmul(threads):
    import numpy as np
    rng = np.random.default_rng(0)
    out = {}
    for m, k, n in SHAPES:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        flops = 2.0 * m * n * k
        seconds = median_seconds(lambda: a @ b, repeats=max(3, min(50, int(2e10 / flops))))
        out[f"{m}x{k}x{n}"] = flops / seconds / 1e9
    return out


def torch_train_step(threads):
    import torch
    from transformers import BertConfig, BertForSequenceClassification
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=2000, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=512, max_position_embeddings=128, num_labels=2)
    model = BertForSequenceClassification(config).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    ids = torch.randint(0, 2000, (32, 64))
    labels = torch.randint(0, 2, (32,))

    def step():
        optimizer.zero_grad()
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        optimizer.step()

    seconds = median_seconds(step, repeats=10, warmup=2)
    return {"seconds": seconds, "tokens_per_second": 32 * 64 / seconds}


def in_subprocess(kind, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    result = subprocess.run([sys.executable, __file__, "--worker", kind, "--threads", str(threads)],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"  ({kind} on {threads} thread(s) failed: {result.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(result.stdout)


def swift_figures(path):
    if path is None:
        path = os.path.join(tempfile.mkdtemp(), "swift-bench.json")
        subprocess.run(["swift", "run", "-c", "release", "course", "bench", "--json", path], cwd=ROOT, check=True)
    with open(path) as f:
        results = json.load(f)["results"]
    matmul = {(f"{r['m']}x{r['k']}x{r['n']}", r["threads"]): r["gflops"] for r in results if r["bench"] == "matmul"}
    step = {r["threads"]: r for r in results if r["bench"] == "bert_train_step"}
    return matmul, step


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--swift-json")
    parser.add_argument("--worker")
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    if args.worker:
        fn = {"numpy": numpy_matmul, "torch": torch_train_step}[args.worker]
        print(json.dumps(fn(args.threads)))
        return
    swift_matmul, swift_step = swift_figures(args.swift_json)
    print("\nmatmul GFLOP/s (m x k x n)")
    print(f"{'shape':<18}{'threads':>8}{'kit':>10}{'numpy':>10}{'kit/numpy':>11}")
    for t in THREADS:
        numpy = in_subprocess("numpy", t) or {}
        for m, k, n in SHAPES:
            key = f"{m}x{k}x{n}"
            ours = swift_matmul.get((key, t))
            theirs = numpy.get(key)
            ratio = f"{ours / theirs:.2f}" if ours and theirs else "-"
            fmt = lambda v: f"{v:.1f}" if v else "-"
            print(f"{key:<18}{t:>8}{fmt(ours):>10}{fmt(theirs):>10}{ratio:>11}")
    print("\nBERT-style classifier training step, tokens/s (32 x 64 tokens)")
    print(f"{'threads':<10}{'kit':>12}{'PyTorch':>12}{'kit/PyTorch':>13}")
    for t in THREADS:
        torch_result = in_subprocess("torch", t)
        ours = swift_step.get(t, {}).get("tokens_per_second")
        theirs = torch_result["tokens_per_second"] if torch_result else None
        ratio = f"{ours / theirs:.2f}" if ours and theirs else "-"
        print(f"{t:<10}{(f'{ours:,.0f}' if ours else '-'):>12}{(f'{theirs:,.0f}' if theirs else '-'):>12}{ratio:>13}")


if __name__ == "__main__":
    main()
