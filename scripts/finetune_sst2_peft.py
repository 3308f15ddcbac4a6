#!/usr/bin/env python3
"""LoRA on a real model, PyTorch + transformers + PEFT, to compare with the kit's

    swift run course finetune --model ../shared/data/real/minilm-l3 \
      --train ../shared/data/real/sst2/stsa.binary.train --validation ../shared/data/real/sst2/stsa.binary.dev \
      --format label-text --epochs 1 --batch-size 32 --max-length 64 --lr 5e-4 --threads 2 --peft lora

The recipe is scripts/finetune_sst2_pytorch.py's (read it for the details) with the model wrapped
by PEFT's get_peft_model(LoraConfig(task_type="SEQ_CLS")) with PEFT's defaults (r 8, alpha 8,
query and value, the classifier trained in full) and the optimizer over the trainable
parameters only; learning rate 5e-4 (--lr).

How to run (pip install 'torch==2.13.0+cpu' transformers peft):

    python3 scripts/finetune_sst2_peft.py [--real ../shared/data/real] [--threads 2] [--seed 42] [--lr 5e-4]
"""

import argparse
import math
import random
import time

import torch
from peft import LoraConfig, TaskType, get_peft_model
from transformers import AutoTokenizer, BertForSequenceClassification, get_linear_schedule_with_warmup

parser = argparse.ArgumentParser()
parser.add_argument("--real", default="../shared/data/real")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--warmup-ratio", type=float, default=0.0)
parser.add_argument("--pooling", choices=["cls"], default="cls")
parser.add_argument("--lr", type=float, default=5e-4)
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
model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS))
model.print_trainable_parameters()

start = time.time()
train_ids = tokenizer(train_texts, truncation=True, max_length=64)["input_ids"]
no_decay = ["bias", "LayerNorm.weight"]
trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
groups = [
    {"params": [p for n, p in trainable if not any(k in n for k in no_decay)], "weight_decay": 0.0},
    {"params": [p for n, p in trainable if any(k in n for k in no_decay)], "weight_decay": 0.0},
]
optimizer = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
order = list(range(len(train_ids)))
random.shuffle(order)
batches = [order[i : i + 32] for i in range(0, len(order), 32)]
scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(args.warmup_ratio * len(batches)), len(batches))


def logits_of(ids, mask):
    return model(input_ids=ids, attention_mask=mask).logits


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
        predictions = logits_of(ids, mask).argmax(-1)
        correct += sum(int(p == y) for p, y in zip(predictions.tolist(), dev_labels[i : i + 64]))
print(f"pytorch {torch.__version__} + peft LoRA r=8, {args.threads} threads, lr {args.lr}, seed {args.seed}: {len(batches)} steps in {seconds:.1f} s "
      f"({tokens / seconds:.0f} tokens/s), dev accuracy {correct / len(dev_ids):.4f}")
