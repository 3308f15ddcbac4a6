#!/usr/bin/env python3
"""Lesson 6's freezing arms on a real checkpoint, in PyTorch + transformers, to set beside

    course finetune --model ../shared/data/real/minilm-l3 --train TRAIN --validation DEV \
      --format label-text --epochs 1 --batch-size 32 --max-length 64 --lr 1e-4 --threads 1 \
      [--freeze-base | --freeze-layers 2 | --layerwise-lr-decay 0.8]

and beside `swift run Lesson6 -- --real ../shared/data/real`, which runs the same arms and
gradual unfreezing inside the lesson.

The arms, as the kit defines them (Sources/Training/Freezing.swift, LayerwiseLearningRates.swift):
  head     the encoder frozen except the pooler (new in a classifier built from an MLM checkpoint)
  layers2  the embeddings and the first 2 encoder layers frozen
  full     everything trains
  llrd     everything trains, the rate of depth d is lr * decay^(top - d) (embeddings 0, layer i
           i + 1, pooler and classifier top = layers + 1)
  gradual  gradual unfreezing (ULMFiT): the head alone first, then one more depth from the top,
           down to the embeddings. One epoch would never leave the head if it unfroze per epoch
           as ULMFiT does, so it unfreezes every ceil(steps / (layers + 2)) optimizer steps, as
           the kit's GradualUnfreezingCallback(model:stepsPerStage:) does; the optimizer holds
           every parameter, and a frozen one gets no gradient and is skipped.
The recipe is the kit's default: AdamW (weight decay 0), linear decay without warm-up, clipping
at norm 1, [CLS] pooling (transformers' BertForSequenceClassification), one epoch.

    python3 scripts/freezing_reference.py --real ../shared/data/real --train-limit 2000 [--threads 1]
"""
import argparse
import math
import random
import re
import time

import torch
from transformers import AutoTokenizer, BertForSequenceClassification, get_linear_schedule_with_warmup

parser = argparse.ArgumentParser()
parser.add_argument("--real", default="../shared/data/real")
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--lr", type=float, default=1e-4)
parser.add_argument("--decay", type=float, default=0.8)
parser.add_argument("--train-limit", type=int, default=2000)
parser.add_argument("--arms", default="head,layers2,full,llrd,gradual")
args = parser.parse_args()
torch.set_num_threads(args.threads)


def read(path, limit=None):
    rows = [line.rstrip("\n").split(" ", 1) for line in open(path, encoding="utf-8") if line.strip()]
    rows = rows[:limit] if limit else rows
    return [text for _, text in rows], [int(label) for label, _ in rows]


model_dir = f"{args.real}/minilm-l3"
train_texts, train_labels = read(f"{args.real}/sst2/stsa.binary.train", args.train_limit)
dev_texts, dev_labels = read(f"{args.real}/sst2/stsa.binary.dev")
tokenizer = AutoTokenizer.from_pretrained(model_dir)


def depth(name, layers):
    match = re.search(r"\.layer\.(\d+)\.", name)
    if match:
        return int(match.group(1)) + 1
    return 0 if "embeddings." in name else layers + 1


def collate(rows):
    longest = max(len(r) for r in rows)
    ids = torch.tensor([r + [tokenizer.pad_token_id] * (longest - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (longest - len(r)) for r in rows])
    return ids, mask


def run(arm):
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=2)
    layers = model.config.num_hidden_layers
    for name, p in model.named_parameters():
        if arm == "head":
            p.requires_grad = not (name.startswith("bert.") and not name.startswith("bert.pooler."))
        elif arm == "layers2":
            d = depth(name, layers)
            p.requires_grad = not (d == 0 or 1 <= d <= 2)
    # Gradual unfreezing's optimizer holds every parameter; the stages set requires_grad.
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad or arm == "gradual"]
    if arm == "llrd":
        groups = [
            {"params": [p], "lr": args.lr * args.decay ** (layers + 1 - depth(n, layers))} for n, p in trainable
        ]
    else:
        groups = [{"params": [p for _, p in trainable], "lr": args.lr}]
    optimizer = torch.optim.AdamW(groups, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    start = time.time()
    train_ids = tokenizer(train_texts, truncation=True, max_length=64)["input_ids"]
    order = list(range(len(train_ids)))
    random.shuffle(order)
    batches = [order[i : i + 32] for i in range(0, len(order), 32)]
    scheduler = get_linear_schedule_with_warmup(optimizer, 0, len(batches))
    steps_per_stage = max(1, -(-len(batches) // (layers + 2)))
    model.train()
    for step, batch in enumerate(batches):
        if arm == "gradual":
            lowest = max(0, layers + 1 - step // steps_per_stage)
            for n, p in trainable:
                p.requires_grad = depth(n, layers) >= lowest
        ids, mask = collate([train_ids[i] for i in batch])
        logits = model(input_ids=ids, attention_mask=mask).logits
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor([train_labels[i] for i in batch]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in trainable], 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    seconds = time.time() - start
    model.eval()
    dev_ids = tokenizer(dev_texts, truncation=True, max_length=64)["input_ids"]
    correct = 0
    with torch.no_grad():
        for i in range(0, len(dev_ids), 64):
            ids, mask = collate(dev_ids[i : i + 64])
            predictions = model(input_ids=ids, attention_mask=mask).logits.argmax(-1)
            correct += sum(int(p == y) for p, y in zip(predictions.tolist(), dev_labels[i : i + 64]))
    count = sum(p.numel() for _, p in trainable)
    stages = f", {steps_per_stage} steps per stage" if arm == "gradual" else ""
    print(f"{arm}: trainable {count}{stages}, {len(batches)} steps in {seconds:.1f} s, dev accuracy {correct / len(dev_ids):.4f}",
          flush=True)


print(f"pytorch {torch.__version__}, {args.threads} thread(s), lr {args.lr}, {len(train_texts)} training sentences")
for arm in args.arms.split(","):
    run(arm)
