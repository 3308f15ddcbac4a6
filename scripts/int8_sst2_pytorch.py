#!/usr/bin/env python3
"""PyTorch's int8 dynamic quantization on a checkpoint the kit fine-tuned, to compare with

    course quantize --model FT --output FT-int8
    COURSE_THREADS=1 course evaluate --model FT --data ../shared/data/real/sst2/stsa.binary.dev --format label-text
    COURSE_THREADS=1 course evaluate --model FT-int8 --data ../shared/data/real/sst2/stsa.binary.dev --format label-text

What it does: loads FT (the kit saves transformers' layout) with
BertForSequenceClassification.from_pretrained, and scores the SST-2 dev sentences as `course
evaluate` does (batches of 64 in file order, each padded to its longest text, at most 128
tokens) three times: in Float32; after `torch.ao.quantization.quantize_dynamic(model,
{nn.Linear}, dtype=torch.qint8)` (the default: per-tensor int8 weights, activations quantized
per call to 7-bit unsigned with a zero point, fbgemm's int8 x int8 kernels); and with
`per_channel_dynamic_qconfig` (one weight scale per output channel, as the kit's weights). For
each it prints the accuracy and the CPU time of the scoring loop (time.process_time, the best
of --repeats; tokenizing is done once before), on --threads threads (default 1).

    python3 scripts/int8_sst2_pytorch.py --model FT [--real ../shared/data/real] [--threads 1]
"""
import argparse
import copy
import time

import torch
from torch import nn
from transformers import AutoTokenizer, BertForSequenceClassification

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True, help="a checkpoint saved by course finetune --output")
parser.add_argument("--real", default="../shared/data/real")
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()
torch.set_num_threads(args.threads)

rows = [line.rstrip("\n").split(" ", 1) for line in open(f"{args.real}/sst2/stsa.binary.dev", encoding="utf-8")
        if line.strip()]
texts, labels = [text for _, text in rows], [int(label) for label, _ in rows]
tokenizer = AutoTokenizer.from_pretrained(args.model)
batches = [tokenizer(texts[i:i + 64], truncation=True, max_length=128, padding="longest", return_tensors="pt")
           for i in range(0, len(texts), 64)]
float_model = BertForSequenceClassification.from_pretrained(args.model).eval()


def score(model):
    best, predictions = float("inf"), None
    for _ in range(args.repeats):
        start = time.process_time()
        with torch.inference_mode():
            predictions = torch.cat([model(**batch).logits.argmax(-1) for batch in batches])
        best = min(best, time.process_time() - start)
    accuracy = (predictions == torch.tensor(labels)).float().mean().item()
    return accuracy, best


def quantized(qconfig_spec):
    return torch.ao.quantization.quantize_dynamic(copy.deepcopy(float_model), qconfig_spec, dtype=torch.qint8)


per_channel = {nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig}
print(f"SST-2 dev, {len(texts)} sentences, {args.threads} thread(s), PyTorch {torch.__version__}")
float_accuracy, float_seconds = score(float_model)
print(f"{'float32':<36} accuracy {100 * float_accuracy:.2f}%  CPU {float_seconds:.2f} s")
for name, model in [("quantize_dynamic (per tensor)", quantized({nn.Linear})),
                    ("quantize_dynamic (per channel)", quantized(per_channel))]:
    accuracy, seconds = score(model)
    print(f"{name:<36} accuracy {100 * accuracy:.2f}%  CPU {seconds:.2f} s  "
          f"({float_seconds / seconds:.2f}x float's speed, {100 * (accuracy - float_accuracy):+.2f} points)")
