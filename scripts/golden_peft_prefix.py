#!/usr/bin/env python3
"""Golden outputs for PEFT prefix tuning on sequence classifiers (BERT and GPT-2).

PEFT 0.21's `PeftModelForSequenceClassification` refuses prefix tuning with transformers 5.x
("Model does not support past key values which are required for prefix tuning."): its
`_prefix_tuning_forward` looks for a forward parameter named `past_key_values`, which
transformers 5.x renamed `cache` (5.24 still accepts `past_key_values` through
`@deprecate_kwarg("past_key_values", "5.40.0", new_name="cache")`, so only the check fails).
This script therefore runs PEFT's own prefix-tuning forward step for step, with PEFT's own
objects: `get_peft_model` with `PrefixTuningConfig` builds the `PrefixEncoder` (and the
classifier head in `modules_to_save`), `peft_model.get_prompt(batch)` turns it into the
per-layer keys and values, the attention mask gets `num_virtual_tokens` ones in front (as in
`PeftModelForSequenceClassification.forward`), and the base model runs with
`past_key_values=` (the branch of `_prefix_tuning_forward` a model with that parameter takes).

For each of the tiny classifiers of scripts/golden_peft.py (Tests/PEFTTests/Fixtures/
tiny-{bert,gpt2}-classifier), with and without the reparameterisation MLP, it saves the adapter
with PEFT's `save_pretrained` (Tests/PEFTTests/Fixtures/{kind}-prefix[-mlp]) and records the
logits in Tests/PEFTTests/Fixtures/peft-prefix-golden.json. It also reloads each adapter with
`PeftModel.from_pretrained` (inference mode: the saved table, no MLP) and checks that the same
forward gives the same logits. The Swift test (PEFTGoldenTests) loads the adapters in the kit.
Neither the kit nor its tests need Python; run it once when the fixtures must change:

    pip install 'torch==2.13.0+cpu' transformers peft
    python3 scripts/golden_peft.py          # the base classifiers, first
    python3 scripts/golden_peft_prefix.py
"""
import json
import os

import torch
from peft import PeftModel, PrefixTuningConfig, TaskType, get_peft_model
from transformers import BertForSequenceClassification, GPT2ForSequenceClassification

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "PEFTTests", "Fixtures")
IDS = [[2, 11, 17, 33, 4, 3, 0, 0], [2, 5, 6, 7, 8, 9, 10, 3]]
MASK = [[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]]
TOKENS = 3


def load_base(kind):
    cls = BertForSequenceClassification if kind == "bert" else GPT2ForSequenceClassification
    return cls.from_pretrained(os.path.join(FIXTURES, f"tiny-{kind}-classifier")).eval()


def prefix_logits(peft_model):
    """PeftModelForSequenceClassification.forward → _prefix_tuning_forward, with PEFT's objects."""
    ids, mask = torch.tensor(IDS), torch.tensor(MASK)
    batch = ids.shape[0]
    mask = torch.cat((torch.ones(batch, TOKENS, dtype=mask.dtype), mask), dim=1)
    with torch.no_grad():
        out = peft_model.base_model(input_ids=ids, attention_mask=mask,
                                    past_key_values=peft_model.get_prompt(batch))
    return out.logits.flatten().tolist()


def main():
    golden = {"input_ids": IDS, "attention_mask": MASK}
    for kind in ["bert", "gpt2"]:
        for projection in [False, True]:
            name = f"{kind}-prefix" + ("-mlp" if projection else "")
            torch.manual_seed(2)
            config = PrefixTuningConfig(task_type=TaskType.SEQ_CLS, num_virtual_tokens=TOKENS,
                                        prefix_projection=projection, encoder_hidden_size=8)
            peft_model = get_peft_model(load_base(kind), config).eval()
            head_name = "classifier" if kind == "bert" else "score"
            with torch.no_grad():  # a head that differs from the base model's, as after training
                getattr(peft_model.base_model, head_name).modules_to_save["default"].weight.normal_(0, 0.5)
            golden[name] = prefix_logits(peft_model)
            golden[name + "_trainable"] = list(peft_model.get_nb_trainable_parameters())
            directory = os.path.join(FIXTURES, name)
            peft_model.save_pretrained(directory)
            if os.path.exists(os.path.join(directory, "README.md")):  # PEFT's model card template
                os.remove(os.path.join(directory, "README.md"))
            path = os.path.join(directory, "adapter_config.json")
            with open(path) as f:
                saved = json.load(f)
            saved["base_model_name_or_path"] = f"tiny-{kind}-classifier"
            with open(path, "w") as f:
                json.dump(saved, f, indent=2, sort_keys=True)
            reloaded = PeftModel.from_pretrained(load_base(kind), directory).eval()
            gap = max(abs(a - b) for a, b in zip(prefix_logits(reloaded), golden[name]))
            assert gap < 1e-5, (name, gap)
            print(name, "trainable, all:", golden[name + "_trainable"], "reloaded gap", gap)
    with open(os.path.join(FIXTURES, "peft-prefix-golden.json"), "w") as f:
        json.dump(golden, f)
    print("wrote", os.path.join(FIXTURES, "peft-prefix-golden.json"))


if __name__ == "__main__":
    main()
