#!/usr/bin/env python3
"""Golden outputs for attention-head pruning, from Hugging Face transformers.

transformers 4.x removed heads with `model.prune_heads({layer: [heads]})`: each pruned head's
rows of query/key/value (GPT-2: of c_attn) and its input columns of the attention output
projection (GPT-2: c_proj) are cut out, and `config.pruned_heads` records the heads so that
`from_pretrained` rebuilds the same shapes before loading the weights. transformers 5.x dropped
`prune_heads` and `pruned_heads` (5.24's sources mention neither); only
`transformers.pytorch_utils.prune_linear_layer` is left. This script does what 4.x did, with
5.x's `prune_linear_layer` (and the same selection for GPT-2's Conv1D), head numbers shifted
as 4.x's `find_pruneable_heads_and_indices` shifts them:

  * on three small classifiers made here with seed 0 (BERT, RoBERTa and GPT-2, 4 heads, 2
    layers), saved unpruned to Tests/ModelsTests/Fixtures/head-pruning/{bert,roberta,gpt2};
  * pruned in two steps ({0: [1]}, then {0: [3], 1: [2]}), to check the original numbering;
  * the logits of a padded batch before and after, and the pruned tensors' shapes, in
    Tests/ModelsTests/Fixtures/head-pruning/golden.json.

The Swift test (Tests/ModelsTests/HeadPruningTests.swift) prunes the same heads in the kit and
compares. With `--check-kit DIR` the script loads a checkpoint the kit pruned and saved
(config.json with `pruned_heads`; `HEAD_PRUNING_SAVE_TO=DIR swift test --filter HeadPruningTests`
writes DIR/bert, DIR/roberta and DIR/gpt2) the way 4.x's `from_pretrained` would: build from the config,
prune the recorded heads, load model.safetensors strictly; and prints the largest difference from
the golden logits. Neither the kit nor its tests need Python; run it once when the fixture must
change:

    pip install 'torch==2.13.0+cpu' transformers
    python3 scripts/golden_head_pruning.py
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import (BertConfig, BertForSequenceClassification, GPT2Config, GPT2ForSequenceClassification,
                          RobertaConfig, RobertaForSequenceClassification)
from transformers.pytorch_utils import prune_linear_layer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures", "head-pruning")
STEPS = [{0: [1]}, {0: [3], 1: [2]}]
INPUT_IDS = [[5, 9, 13, 2, 7, 0], [1, 2, 3, 4, 5, 6]]
ATTENTION_MASK = [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]]


def kept_index(heads, n_heads, head_size, already):
    """transformers 4.x's find_pruneable_heads_and_indices: the positions that stay."""
    mask = torch.ones(n_heads, head_size)
    heads = set(heads) - already
    for head in heads:
        mask[head - sum(1 if h < head else 0 for h in already)] = 0
    return heads, torch.arange(n_heads * head_size)[mask.view(-1).eq(1)].long()


def prune_conv1d(layer, index, dim):
    """transformers 4.x's prune_conv1d_layer: Conv1D weights are (in, out)."""
    weight = layer.weight.index_select(dim, index).detach().clone()
    bias = layer.bias.detach().clone() if dim == 0 else layer.bias[index].detach().clone()
    new = type(layer)(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        new.weight.copy_(weight)
        new.bias.copy_(bias)
    return new


def prune_bert(model, heads_by_layer):
    """BERT's and RoBERTa's (the same attention modules)."""
    for layer, heads in heads_by_layer.items():
        attention = model.base_model.encoder.layer[layer].attention
        s = attention.self
        already = getattr(attention, "pruned_heads", set())
        heads, index = kept_index(heads, s.num_attention_heads, s.attention_head_size, already)
        if not heads:
            continue
        s.query, s.key, s.value = (prune_linear_layer(x, index) for x in (s.query, s.key, s.value))
        attention.output.dense = prune_linear_layer(attention.output.dense, index, dim=1)
        s.num_attention_heads -= len(heads)
        s.all_head_size = s.attention_head_size * s.num_attention_heads
        attention.pruned_heads = already | heads


def prune_gpt2(model, heads_by_layer):
    for layer, heads in heads_by_layer.items():
        attn = model.transformer.h[layer].attn
        already = getattr(attn, "pruned_heads", set())
        heads, index = kept_index(heads, attn.num_heads, attn.head_dim, already)
        if not heads:
            continue
        index_attn = torch.cat([index, index + attn.split_size, index + 2 * attn.split_size])
        attn.c_attn = prune_conv1d(attn.c_attn, index_attn, dim=1)
        attn.c_proj = prune_conv1d(attn.c_proj, index, dim=0)
        attn.split_size = (attn.split_size // attn.num_heads) * (attn.num_heads - len(heads))
        attn.num_heads -= len(heads)
        attn.pruned_heads = already | heads


def logits(model):
    with torch.no_grad():
        out = model(input_ids=torch.tensor(INPUT_IDS), attention_mask=torch.tensor(ATTENTION_MASK))
    return out.logits.flatten().tolist()


def make(kind):
    torch.manual_seed(0)
    if kind == "bert":
        config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                            intermediate_size=32, max_position_embeddings=24, num_labels=2,
                            initializer_range=0.3)
        return BertForSequenceClassification(config).eval(), prune_bert
    if kind == "roberta":
        config = RobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                               intermediate_size=32, max_position_embeddings=24, num_labels=2,
                               initializer_range=0.3, pad_token_id=1, bos_token_id=0, eos_token_id=2)
        return RobertaForSequenceClassification(config).eval(), prune_bert
    config = GPT2Config(vocab_size=50, n_positions=24, n_embd=16, n_layer=2, n_head=4, num_labels=2,
                        initializer_range=0.3, pad_token_id=0, bos_token_id=0, eos_token_id=0)
    return GPT2ForSequenceClassification(config).eval(), prune_gpt2


def golden(kind):
    model, prune = make(kind)
    directory = os.path.join(FIXTURES, kind)
    model.save_pretrained(directory)
    before = logits(model)
    for step in STEPS:
        prune(model, step)
    heads = {}
    for step in STEPS:
        for layer, hs in step.items():
            heads.setdefault(str(layer), set()).update(hs)
    return {
        "pruned_heads": {k: sorted(v) for k, v in heads.items()},
        "steps": [{str(k): v for k, v in step.items()} for step in STEPS],
        "logits_unpruned": before,
        "logits_pruned": logits(model),
        "shapes": {name: list(t.shape) for name, t in model.state_dict().items() if ".attn" in name
                   or ".attention." in name},
    }


def check_kit(directory):
    """Loads a kit-pruned checkpoint as transformers 4.x's from_pretrained would; prints the
    largest logit difference from the golden pruned logits."""
    with open(os.path.join(directory, "config.json")) as f:
        stored = json.load(f)
    kind = stored["model_type"]
    pruned = {int(k): v for k, v in stored.pop("pruned_heads").items()}
    model, prune = make(kind)
    prune(model, pruned)
    missing, unexpected = model.load_state_dict(load_file(os.path.join(directory, "model.safetensors")),
                                                strict=False)
    missing = [m for m in missing if not m.endswith("attn.bias") and not m.endswith("position_ids")]
    if missing or unexpected:
        sys.exit(f"{directory}: missing {missing}, unexpected {unexpected}")
    with open(os.path.join(FIXTURES, "golden.json")) as f:
        expected = json.load(f)[kind]["logits_pruned"]
    gap = max(abs(a - b) for a, b in zip(logits(model.eval()), expected))
    print(json.dumps({"directory": directory, "pruned_heads": pruned, "max_abs_logit_difference": gap}))


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    result = {"input_ids": INPUT_IDS, "attention_mask": ATTENTION_MASK,
              "bert": golden("bert"), "gpt2": golden("gpt2"), "roberta": golden("roberta")}
    with open(os.path.join(FIXTURES, "golden.json"), "w") as f:
        json.dump(result, f)
    print("wrote", FIXTURES)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check-kit":
        check_kit(sys.argv[2])
    else:
        main()
