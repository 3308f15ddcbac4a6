#!/usr/bin/env python3
"""Golden adapters and outputs from Hugging Face PEFT, for the kit's PEFT tests.

Builds two tiny classifiers with transformers (a BERT and a GPT-2, random weights, seed 0), wraps
them with PEFT (LoRA with its default target modules, and prompt tuning), saves each
adapter with `save_pretrained` (adapter_config.json + adapter_model.safetensors) and records the
logits PEFT computes, before and after `merge_and_unload()`. Tests/PEFTTests/PEFTGoldenTests.swift
loads the same base models and adapters in the kit and must give the same logits; it also saves
each adapter again and checks that the tensor names, shapes and values are PEFT's.

With `--check-kit DIR TEXTS`, it instead loads an adapter the kit wrote (`course finetune --peft
lora --output DIR`, or Lesson 8's runs/Lesson8/adapters/*) onto its base model with
`PeftModel.from_pretrained` and prints PEFT's probabilities for each line of TEXTS, to set beside
`course predict --model DIR --input TEXTS`.
Prefix tuning is not here: PEFT 0.21 with transformers 5.x refuses it for sequence classifiers
("Model does not support past key values which are required for prefix tuning."), so
scripts/golden_peft_prefix.py runs PEFT's prefix forward step for step with PEFT's own objects.
Neither the kit nor its tests need Python; run it once when the fixtures must change:

    pip install 'torch==2.13.0+cpu' transformers peft
    python3 scripts/golden_peft.py

It writes Tests/PEFTTests/Fixtures/ (base models, adapters, peft-golden.json).
"""
import json
import os
import sys

import torch
from peft import LoraConfig, PeftModel, PromptTuningConfig, TaskType, get_peft_model
from transformers import (BertConfig, BertForSequenceClassification, GPT2Config,
                          GPT2ForSequenceClassification)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "PEFTTests", "Fixtures")
IDS = [[2, 11, 17, 33, 4, 3, 0, 0], [2, 5, 6, 7, 8, 9, 10, 3]]
MASK = [[1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]]


def logits(model):
    with torch.no_grad():
        out = model(input_ids=torch.tensor(IDS), attention_mask=torch.tensor(MASK))
    return out.logits.flatten().tolist()


def base_models():
    torch.manual_seed(0)
    bert = BertForSequenceClassification(BertConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=24, num_labels=2)).eval()
    gpt2 = GPT2ForSequenceClassification(GPT2Config(
        vocab_size=50, n_embd=16, n_layer=2, n_head=2, n_positions=24, num_labels=2,
        pad_token_id=0)).eval()
    return {"bert": bert, "gpt2": gpt2}


def relative_base(directory, base):
    """PEFT writes the base model's path as it was loaded; the fixtures name the sibling directory."""
    path = os.path.join(directory, "adapter_config.json")
    with open(path) as f:
        config = json.load(f)
    config["base_model_name_or_path"] = base
    with open(path, "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)


def load_base(kind):
    cls = BertForSequenceClassification if kind == "bert" else GPT2ForSequenceClassification
    return cls.from_pretrained(os.path.join(FIXTURES, f"tiny-{kind}-classifier")).eval()


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    golden = {"input_ids": IDS, "attention_mask": MASK}
    for kind, model in base_models().items():
        base_dir = os.path.join(FIXTURES, f"tiny-{kind}-classifier")
        model.save_pretrained(base_dir)
        golden[f"{kind}_base"] = logits(load_base(kind))
        configs = {
            # init_lora_weights=False: B random too, so the adapter changes the output.
            "lora": LoraConfig(task_type=TaskType.SEQ_CLS, r=4, lora_alpha=8, init_lora_weights=False),
            "prompt": PromptTuningConfig(task_type=TaskType.SEQ_CLS, num_virtual_tokens=3),
        }
        for method, config in configs.items():
            if kind == "gpt2" and method != "lora":
                continue
            torch.manual_seed(1)
            peft_model = get_peft_model(load_base(kind), config).eval()
            if method != "lora":  # a head that differs from the base model's, as after training
                with torch.no_grad():
                    head = peft_model.base_model.classifier.modules_to_save["default"]
                    head.weight.normal_(0, 0.5)
            name = f"{kind}-{method}"
            directory = os.path.join(FIXTURES, name)
            golden[name] = logits(peft_model)
            golden[name + "_trainable"] = peft_model.get_nb_trainable_parameters()
            peft_model.save_pretrained(directory)
            relative_base(directory, f"tiny-{kind}-classifier")
            reloaded = PeftModel.from_pretrained(load_base(kind), directory).eval()
            assert max(abs(a - b) for a, b in zip(logits(reloaded), golden[name])) < 1e-6
            if method == "lora":
                golden[name + "_merged"] = logits(reloaded.merge_and_unload())
            print(name, peft_model.get_nb_trainable_parameters())
    with open(os.path.join(FIXTURES, "peft-golden.json"), "w") as f:
        json.dump(golden, f)
    print("wrote", FIXTURES)


def check_kit(directory, texts_file):
    """PEFT's probabilities for each line of `texts_file` with the kit's adapter in `directory`
    (compare with `course predict --model DIR --input FILE`)."""
    from transformers import AutoConfig, BertTokenizerFast, GPT2TokenizerFast
    with open(os.path.join(directory, "adapter_config.json")) as f:
        base = json.load(f)["base_model_name_or_path"]
    config = AutoConfig.from_pretrained(base)
    if config.model_type == "gpt2":
        config.pad_token_id = config.pad_token_id if config.pad_token_id is not None else config.eos_token_id
        tokenizer = GPT2TokenizerFast(os.path.join(base, "vocab.json"), os.path.join(base, "merges.txt"))
        cls = GPT2ForSequenceClassification
    else:
        tokenizer = BertTokenizerFast(os.path.join(base, "vocab.txt"))
        cls = BertForSequenceClassification
    model = PeftModel.from_pretrained(cls.from_pretrained(base, config=config).eval(), directory).eval()
    for line in open(texts_file).read().splitlines():
        ids = tokenizer(line)["input_ids"]
        with torch.no_grad():
            p = torch.softmax(model(input_ids=torch.tensor([ids])).logits, dim=-1)[0].tolist()
        print(json.dumps({"text": line, "probabilities": p}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--check-kit":
        check_kit(sys.argv[2], sys.argv[3])
    else:
        main()
