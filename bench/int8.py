#!/usr/bin/env python3
"""The kit's int8 linear op next to PyTorch's, at the shapes of the course's models.

    python3 bench/int8.py                        # runs `course bench int8` (release build) too
    python3 bench/int8.py --swift-json F         # reuse `course bench int8 --json F`
    python3 bench/int8.py --torch-only

For each Linear shape of MiniLM-L3 (hidden 384, intermediate 1536) and gpt-mini (hidden 128,
inner 512), on 2,048 rows (batch 32 x 64 tokens) with a bias, it times one product: PyTorch's
Float32 `nn.Linear` and the same layer after `torch.ao.quantization.quantize_dynamic(model,
{nn.Linear}, dtype=torch.qint8)` (fbgemm: per-tensor int8 weights, activations quantized per
call to uint8 with 7 bits, int8 x int8 with Int32 sums), under `torch.inference_mode()`; the
median of repeated calls, each thread count in its own process (torch.set_num_threads before
any work). Then the kit's Float and int8 figures from the same shapes, side by side: CPU time
on 1 thread (steady on a shared machine), wall-clock time on 2.
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
ROWS = 2048
SHAPES = [  # (model, layer, in, out), as Sources/course/BenchInt8.swift
    ("MiniLM-L3", "query/key/value/attention.output", 384, 384),
    ("MiniLM-L3", "intermediate", 384, 1536),
    ("MiniLM-L3", "output", 1536, 384),
    ("gpt-mini", "c_attn", 128, 384),
    ("gpt-mini", "attn.c_proj", 128, 128),
    ("gpt-mini", "c_fc", 128, 512),
    ("gpt-mini", "mlp.c_proj", 512, 128),
]
THREADS = [1, 2]


def median_ms(fn, repeats, warmup=2):
    """Median wall-clock and CPU (all threads) milliseconds of fn, as `course bench int8`."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def torch_worker(threads):
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    out = {}
    for _, _, n_in, n_out in SHAPES:
        layer = nn.Sequential(nn.Linear(n_in, n_out)).eval()
        quantized = torch.ao.quantization.quantize_dynamic(layer, {nn.Linear}, dtype=torch.qint8)
        x = torch.randn(ROWS, n_in)
        repeats = max(9, min(200, int(3e9 / (ROWS * n_in * n_out))))
        with torch.inference_mode():
            float_ms, float_cpu = median_ms(lambda: layer(x), repeats)
            int8_ms, int8_cpu = median_ms(lambda: quantized(x), repeats)
        out[f"{n_in}x{n_out}"] = {"float_ms": float_ms, "int8_ms": int8_ms, "float_cpu_ms": float_cpu,
                                  "int8_cpu_ms": int8_cpu}
    return out


def in_subprocess(threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    result = subprocess.run([sys.executable, __file__, "--worker", "--threads", str(threads)],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"  (PyTorch on {threads} thread(s) failed: {result.stderr.strip().splitlines()[-1:]})")
        return {}
    return json.loads(result.stdout)


def swift_figures(path):
    if path is None:
        path = os.path.join(tempfile.mkdtemp(), "swift-int8.json")
        subprocess.run(["swift", "run", "-c", "release", "course", "bench", "int8", "--json", path],
                       cwd=ROOT, check=True)
    with open(path) as f:
        results = json.load(f)["results"]
    return {(f"{r['in']}x{r['out']}", r["threads"]): r for r in results if r["bench"] == "int8_linear"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--swift-json")
    parser.add_argument("--torch-only", action="store_true")
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(torch_worker(args.threads)))
        return
    kit = {} if args.torch_only else swift_figures(args.swift_json)
    torch_figures = {t: in_subprocess(t) for t in THREADS}
    print(f"\nlinear, {ROWS} rows, median ms per product (speed-up = float ms / int8 ms); "
          f"CPU ms on 1 thread, wall-clock ms on more")
    print(f"{'model':<11}{'in x out':<11}{'thr':>4}{'kit float':>11}{'kit int8':>10}{'speed-up':>10}"
          f"{'torch float':>13}{'torch int8':>12}{'speed-up':>10}")
    fmt = lambda v: f"{v:.3f}" if v is not None else "-"
    ratio = lambda a, b: f"{a / b:.2f}x" if a is not None and b else "-"
    for model, _, n_in, n_out in SHAPES:
        key = f"{n_in}x{n_out}"
        for t in THREADS:
            ours = kit.get((key, t), {})
            theirs = torch_figures.get(t, {}).get(key, {})
            unit = "_cpu_ms" if t == 1 else "_ms"
            kf, ki = ours.get("float" + unit), ours.get("int8" + unit)
            tf, ti = theirs.get("float" + unit), theirs.get("int8" + unit)
            print(f"{model:<11}{key:<11}{t:>4}{fmt(kf):>11}{fmt(ki):>10}{ratio(kf, ki):>10}"
                  f"{fmt(tf):>13}{fmt(ti):>12}{ratio(tf, ti):>10}")


if __name__ == "__main__":
    main()
