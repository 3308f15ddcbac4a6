#!/usr/bin/env python3
"""The real-model benchmark's reference run in PyTorch + transformers, to compare with

    swift run -c release course finetune --model ../shared/data/real/minilm-l3 \
      --train ../shared/data/real/sst2/stsa.binary.train --validation ../shared/data/real/sst2/stsa.binary.dev \
      --format label-text --epochs 1 --batch-size 32 --max-length 64 --lr 5e-5 --threads 2

What it does: the same recipe as transformers' Trainer defaults with those arguments —
BertForSequenceClassification.from_pretrained (new pooler and classifier), AdamW lr 5e-5
(betas 0.9/0.999, eps 1e-8, weight decay 0), linear decay without warm-up, gradient clipping at
norm 1.0, batches of 32 shuffled with seed 42, each padded to its longest text (at most 64
tokens), one epoch; then accuracy on the dev set. Prints the training time (wall clock, the
loop only) and the dev accuracy.

How to run (pip install 'torch==2.13.0+cpu' transformers):

    python3 scripts/finetune_sst2_pytorch.py [--real ../shared/data/real] [--threads 2] [--seed 42]

Two variants of the recipe, to see how far it can go (not the benchmark itself):
--warmup-ratio R warms the learning rate up over the first R of the steps, and --pooling mean
feeds the pooler the mean of the real tokens' states instead of [CLS] (the kit's
classifier_pooling "mean"; this checkpoint was trained as a mean-pooled sentence encoder).
"""
import argparse
import math
import random
import time

import torch
from transformers import AutoTokenizer, BertForSequenceClassification, get_linear_schedule_with_warmup

parser = argparse.ArgumentParser()
parser.add_argument("--real", default="../shared/data/real")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--warmup-ratio", type=float, default=0.0)
parser.add_argument("--pooling", choices=["cls", "mean"], default="cls")
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
random.seed(args.seed)


def read(path):
    rows = [line.rstrip("\n").split(" ", 1) for line in open(path, encoding="utf-8") if line.strip()]
    return [text for _, text in rows], [int(label) for label, _ in rows]


model_dir = f"{args.real}/minilm-l3"
train_texts, train_labels = read(f"{args.real}/sst2/stsa.binary.train")
dev_texts, dev_labels = read(f"{args.real}/sst2/stsa.binary.dev")
tokenizer = AutoTokenizer.from_pretrained(model_dir)
model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=2)

start = time.time()
train_ids = tokenizer(train_texts, truncation=True, max_length=64)["input_ids"]
no_decay = ["bias", "LayerNorm.weight"]
groups = [
    {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)], "weight_decay": 0.0},
    {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0},
]
optimizer = torch.optim.AdamW(groups, lr=5e-5, betas=(0.9, 0.999), eps=1e-8)
order = list(range(len(train_ids)))
random.shuffle(order)
batches = [order[i : i + 32] for i in range(0, len(order), 32)]
scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(args.warmup_ratio * len(batches)), len(batches))


def logits_of(ids, mask):
    if args.pooling == "cls":
        return model(input_ids=ids, attention_mask=mask).logits
    # classifier_pooling "mean": the pooler's dense + tanh on the mean of the real tokens' states
    hidden = model.bert(input_ids=ids, attention_mask=mask).last_hidden_state
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * weights).sum(1) / weights.sum(1)
    return model.classifier(model.dropout(model.bert.pooler.activation(model.bert.pooler.dense(mean))))


def collate(rows):
    longest = max(len(r) for r in rows)
    ids = torch.tensor([r + [tokenizer.pad_token_id] * (longest - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (longest - len(r)) for r in rows])
    return ids, mask


model.train()
tokens = 0
for batch in batches:
    ids, mask = collate([train_ids[i] for i in batch])
    tokens += int(mask.sum())
    loss = torch.nn.functional.cross_entropy(logits_of(ids, mask), torch.tensor([train_labels[i] for i in batch]))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
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
        predictions = logits_of(ids, mask).argmax(-1)
        correct += sum(int(p == y) for p, y in zip(predictions.tolist(), dev_labels[i : i + 64]))
print(f"pytorch {torch.__version__}, {args.threads} threads, {args.pooling} pooling, warm-up {args.warmup_ratio}, seed {args.seed}: {len(batches)} steps in {seconds:.1f} s "
      f"({tokens / seconds:.0f} tokens/s), dev accuracy {correct / len(dev_ids):.4f}")
