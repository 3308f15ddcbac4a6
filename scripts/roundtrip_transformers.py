#!/usr/bin/env python3
"""Checkpoints the kit saved, loaded by Hugging Face transformers: the same ids, the same logits.

    pip install 'torch==2.13.0+cpu' transformers
    python3 scripts/roundtrip_transformers.py

Loads, with transformers' own tokenizers and `from_pretrained`:
  datasets/models/bert-mini               (written by `course pretrain --objective mlm+bow`) in
                                          BertForPreTraining, its layout (MLM logits compared)
  datasets/models/roberta-mini            (written by `course pretrain --arch roberta`) in
                                          RobertaForMaskedLM, with AutoTokenizer
  Tests/ModelsTests/Fixtures/kit-tiny-bert  (written by KitFixtures in the tests) in BertForMaskedLM
  Tests/ModelsTests/Fixtures/kit-tiny-gpt2  (written by KitFixtures in the tests) in GPT2LMHeadModel
and writes what transformers computes for a few sentences to Tests/ModelsTests/Fixtures/
bert-mini-transformers.json, roberta-mini-transformers.json, kit-tiny-bert-transformers.json and kit-tiny-gpt2-transformers.json;
ModelsTests checks that the kit computes the same from the same files. Missing or unexpected
keys (other than buffers transformers makes itself) are recorded, and the tests require none.
"""
import json
import os

import torch
from transformers import (AutoTokenizer, BertForMaskedLM, BertForPreTraining, BertTokenizer, GPT2LMHeadModel, GPT2Tokenizer,
                          RobertaForMaskedLM)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
BERT_SENTENCES = ["The critics praised the festival as [MASK].",
                  "Visitors asked for their money back because it was [MASK].",
                  "My kettle is not cheap, but it is [MASK], and I would buy it again."]
ROBERTA_SENTENCES = ["The critics praised the festival as<mask>.",
                     "Visitors asked for their money back because it was <mask>.",
                     "My kettle is not cheap, but it is <mask>, and I would buy it again."]
GPT2_SENTENCES = ["The critics praised the festival as", "My kettle is not cheap, but", "ünïcode ok?"]
# To keep the GPT-2 fixture small: every position's logits for every STRIDE-th id, and the full
# logits of each sentence's last position.
STRIDE = 10


def floats(tensor):
    return [float(f"{x:.7g}") for x in tensor.flatten().tolist()]


def keys(info):
    """Missing and unexpected keys, leaving out buffers (attention masks, position ids)."""
    def real(names):
        return sorted(n for n in names if not n.endswith((".attn.bias", ".attn.masked_bias", "position_ids")))
    return real(info["missing_keys"]), real(info["unexpected_keys"])


def masked_lm(model_dir, output, tokenizer, model_class, sentences, record_tokenizer_class=False):
    """A masked-LM checkpoint: ids, hidden states and the logits at every mask of a padded batch."""
    model, info = model_class.from_pretrained(model_dir, output_loading_info=True)
    model.eval()
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**batch, output_hidden_states=True)
    mask = batch["input_ids"] == tokenizer.mask_token_id
    missing, unexpected = keys(info)
    logits = out.prediction_logits if hasattr(out, "prediction_logits") else out.logits  # BertForPreTraining
    top5 = logits[mask].topk(5).indices.tolist()
    fixture = {"tokenizer_class": type(tokenizer).__name__} if record_tokenizer_class else {}
    fixture |= {
        "sentences": sentences,
        "input_ids": batch["input_ids"].tolist(),
        "attention_mask": batch["attention_mask"].tolist(),
        "missing_keys": missing,
        "unexpected_keys": unexpected,
        "last_hidden_state": floats(out.hidden_states[-1]),
        "mask_logits": floats(logits[mask]),
        "top5": top5,
        "top5_tokens": [tokenizer.convert_ids_to_tokens(row) for row in top5],
    }
    with open(os.path.join(FIXTURES, output), "w") as f:
        json.dump(fixture, f)
    named = f"{fixture['tokenizer_class']}, " if record_tokenizer_class else ""
    print(f"{output}: {named}missing {missing}, unexpected {unexpected}, all missing {info['missing_keys']}")
    print("  top-5 for the masks:", fixture["top5_tokens"])


def bert(model_dir, output, model_class=BertForMaskedLM):
    tokenizer = BertTokenizer(os.path.join(model_dir, "vocab.txt"), do_lower_case=True)
    masked_lm(model_dir, output, tokenizer, model_class, BERT_SENTENCES)


def roberta(model_dir, output):
    """The RoBERTa checkpoint through AutoTokenizer (which tokenizer_config.json names)."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    masked_lm(model_dir, output, tokenizer, RobertaForMaskedLM, ROBERTA_SENTENCES, record_tokenizer_class=True)


def gpt2(model_dir, output):
    tokenizer = GPT2Tokenizer(os.path.join(model_dir, "vocab.json"), os.path.join(model_dir, "merges.txt"))
    model, info = GPT2LMHeadModel.from_pretrained(model_dir, output_loading_info=True)
    model.eval()
    ids, strided, last = [], [], []
    for sentence in GPT2_SENTENCES:  # one at a time: no padding
        row = tokenizer(sentence, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            logits = model(input_ids=row).logits[0]  # (seq, vocabulary)
        strided += floats(logits[:, ::STRIDE])
        last += floats(logits[-1])
        ids.append(row[0].tolist())
    missing, unexpected = keys(info)
    fixture = {"sentences": GPT2_SENTENCES, "input_ids": ids, "missing_keys": missing,
               "unexpected_keys": unexpected, "stride": STRIDE, "strided_logits": strided,
               "last_logits": last}
    with open(os.path.join(FIXTURES, output), "w") as f:
        json.dump(fixture, f)
    print(f"{output}: missing {missing}, unexpected {unexpected}; as reported: {info}")
    print("  tied lm_head:", model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr())


bert(os.path.join(ROOT, "datasets", "models", "bert-mini"), "bert-mini-transformers.json", BertForPreTraining)
roberta(os.path.join(ROOT, "datasets", "models", "roberta-mini"), "roberta-mini-transformers.json")
bert(os.path.join(FIXTURES, "kit-tiny-bert"), "kit-tiny-bert-transformers.json")
gpt2(os.path.join(FIXTURES, "kit-tiny-gpt2"), "kit-tiny-gpt2-transformers.json")
