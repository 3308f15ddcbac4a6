#!/usr/bin/env python3
"""Golden outputs for attention prefixes (prefix tuning), from Hugging Face transformers.

PEFT's prefix tuning hands each layer extra keys and values as the model's past key values
(`past_key_values`; `cache` since transformers 5.x) and extends the attention mask by ones for
them. This script does exactly that with the tiny fixture models of scripts/golden_models.py,
with random prefixes (seed 0), and records the prefixes and the outputs; the Swift test
(Tests/ModelsTests/ModelInputsTests.swift) feeds the same prefixes as `pastKeyValues`.
Neither the kit nor its tests need Python; run it once when the fixture must change:

    pip install 'torch==2.13.0+cpu' transformers
    python3 scripts/golden_prefix.py

It writes Tests/ModelsTests/Fixtures/prefix-golden.json.
"""
import json
import os

import torch
from transformers import BertForMaskedLM, DynamicCache, GPT2LMHeadModel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
PREFIX_LENGTH = 3


def prefixed(model, config, layers, heads, ids, mask, generator):
    """Runs `model` with random per-layer key/value prefixes; returns them and the output."""
    batch = len(ids)
    head_dim = config.hidden_size // heads
    keys = [torch.randn(batch, heads, PREFIX_LENGTH, head_dim, generator=generator) for _ in range(layers)]
    values = [torch.randn(batch, heads, PREFIX_LENGTH, head_dim, generator=generator) for _ in range(layers)]
    cache = DynamicCache(config=config)
    for i, (k, v) in enumerate(zip(keys, values)):
        cache.update(k, v, i)
    full_mask = torch.cat([torch.ones(batch, PREFIX_LENGTH, dtype=torch.long), torch.tensor(mask)], dim=1)
    with torch.no_grad():
        output = model(input_ids=torch.tensor(ids), attention_mask=full_mask, cache=cache)
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "keys": [k.flatten().tolist() for k in keys],
        "values": [v.flatten().tolist() for v in values],
        "logits": output.logits.flatten().tolist(),
    }


def main():
    generator = torch.Generator().manual_seed(0)
    bert = BertForMaskedLM.from_pretrained(os.path.join(FIXTURES, "tiny-bert")).eval()
    gpt2 = GPT2LMHeadModel.from_pretrained(os.path.join(FIXTURES, "tiny-gpt2")).eval()
    golden = {
        "prefix_length": PREFIX_LENGTH,
        "bert": prefixed(
            bert, bert.config, bert.config.num_hidden_layers, bert.config.num_attention_heads,
            [[2, 11, 17, 33, 4, 3, 0, 0], [2, 5, 6, 7, 8, 9, 10, 3]],
            [[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]], generator),
        "gpt2": prefixed(
            gpt2, gpt2.config, gpt2.config.n_layer, gpt2.config.n_head,
            [[5, 9, 13, 2, 7, 0], [1, 2, 3, 4, 5, 6]], [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]], generator),
    }
    with open(os.path.join(FIXTURES, "prefix-golden.json"), "w") as f:
        json.dump(golden, f)
    print("wrote", os.path.join(FIXTURES, "prefix-golden.json"))


if __name__ == "__main__":
    main()
