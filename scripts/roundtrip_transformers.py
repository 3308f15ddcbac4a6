#!/usr/bin/env python3
"""A checkpoint the kit saved, loaded by Hugging Face transformers: the same ids, the same logits.

    pip install 'torch==2.13.0+cpu' transformers
    python3 scripts/roundtrip_transformers.py

Loads datasets/models/bert-mini (written by `course pretrain`) with BertTokenizer and
BertForMaskedLM.from_pretrained, and writes what transformers computes for a few sentences
to Tests/ModelsTests/Fixtures/bert-mini-transformers.json; ModelsTests checks that the kit
computes the same from the same files.
"""
import json
import os

import torch
from transformers import BertForMaskedLM, BertTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "datasets", "models", "bert-mini")
SENTENCES = ["The critics praised the festival as [MASK].", "Visitors asked for their money back because it was [MASK].",
             "My kettle is not cheap, but it is [MASK], and I would buy it again."]

tokenizer = BertTokenizer(os.path.join(MODEL, "vocab.txt"), do_lower_case=True)
model, info = BertForMaskedLM.from_pretrained(MODEL, output_loading_info=True)
model.eval()
batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
with torch.no_grad():
    out = model(**batch, output_hidden_states=True)
mask = batch["input_ids"] == tokenizer.mask_token_id
fixture = {
    "sentences": SENTENCES,
    "input_ids": batch["input_ids"].tolist(),
    "attention_mask": batch["attention_mask"].tolist(),
    "missing_keys": sorted(info["missing_keys"]),
    "unexpected_keys": sorted(info["unexpected_keys"]),
    "last_hidden_state": [float(f"{x:.7g}") for x in out.hidden_states[-1].flatten().tolist()],
    "mask_logits": [float(f"{x:.7g}") for x in out.logits[mask].flatten().tolist()],
    "top5": out.logits[mask].topk(5).indices.tolist(),
    "top5_tokens": [tokenizer.convert_ids_to_tokens(row) for row in out.logits[mask].topk(5).indices.tolist()],
}
with open(os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures", "bert-mini-transformers.json"), "w") as f:
    json.dump(fixture, f)
print("missing:", fixture["missing_keys"], "unexpected:", fixture["unexpected_keys"])
print("top-5 for the masks:", fixture["top5_tokens"])
