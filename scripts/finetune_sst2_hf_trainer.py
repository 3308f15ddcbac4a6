#!/usr/bin/env python3
"""The real-model benchmark's recipe run through transformers' own Trainer (not a hand-written
loop), to check what the stock tool reaches with these arguments:

    TrainingArguments(per_device_train_batch_size=32, learning_rate=5e-5, num_train_epochs=1,
                      seed=N) + DataCollatorWithPadding, max length 64, everything else default.

How to run (pip install 'torch==2.13.0+cpu' transformers):

    python3 scripts/finetune_sst2_hf_trainer.py [--real ../shared/data/real] [--threads 2] [--seed 42]
"""
import argparse
import tempfile
import time

import torch
from transformers import (AutoTokenizer, BertForSequenceClassification, DataCollatorWithPadding, Trainer,
                          TrainingArguments, set_seed)

parser = argparse.ArgumentParser()
parser.add_argument("--real", default="../shared/data/real")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seed", type=int, default=42)
args = parser.parse_args()
torch.set_num_threads(args.threads)
set_seed(args.seed)


def read(path):
    rows = [line.rstrip("\n").split(" ", 1) for line in open(path, encoding="utf-8") if line.strip()]
    return [{"text": text, "label": int(label)} for label, text in rows]


model_dir = f"{args.real}/minilm-l3"
tokenizer = AutoTokenizer.from_pretrained(model_dir)
model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=2)


def encode(rows):
    return [dict(tokenizer(r["text"], truncation=True, max_length=64), labels=r["label"]) for r in rows]


train = encode(read(f"{args.real}/sst2/stsa.binary.train"))
dev = encode(read(f"{args.real}/sst2/stsa.binary.dev"))
with tempfile.TemporaryDirectory() as out:
    training_args = TrainingArguments(
        output_dir=out, per_device_train_batch_size=32, per_device_eval_batch_size=64, learning_rate=5e-5,
        num_train_epochs=1, seed=args.seed, report_to=[], save_strategy="no", logging_strategy="no",
        disable_tqdm=True, use_cpu=True)
    trainer = Trainer(model=model, args=training_args, train_dataset=train, eval_dataset=dev,
                      data_collator=DataCollatorWithPadding(tokenizer),
                      compute_metrics=lambda p: {"accuracy": float((p.predictions.argmax(-1) == p.label_ids).mean())})
    start = time.time()
    trainer.train()
    seconds = time.time() - start
    accuracy = trainer.evaluate()["eval_accuracy"]
print(f"transformers Trainer, {args.threads} threads, seed {args.seed}: training {seconds:.1f} s, "
      f"dev accuracy {accuracy:.4f}")
