#!/usr/bin/env python3
"""Golden outputs for the kit's RoBERTa (models and tokenizer), from Hugging Face transformers.

Neither the kit nor its tests need Python; run this once when the fixtures must change:

    pip install 'torch==2.13.0+cpu' transformers
    python3 scripts/golden_roberta.py            # the fixtures below
    python3 scripts/golden_roberta.py roundtrip  # after `swift test` wrote kit-tiny-roberta

It writes, under Tests/ModelsTests/Fixtures/:
  tiny-roberta/             a byte-level BPE of 400 tokens trained on SST-2's training sentences
                            (../shared/data/real/sst2, or a few built-in sentences without it),
                            with RoBERTa's special tokens (<s> 0, <pad> 1, </s> 2, <unk> 3,
                            <mask> 4, lstrip), saved by transformers' RobertaTokenizer; and a
                            randomly initialised RobertaForMaskedLM (seed 0: hidden 32, 2 layers,
                            4 heads, 34 positions, one token type, eps 1e-5,
                            initializer range 0.2 so that logits are far apart)
  tiny-roberta/golden.json  tokenizer ids (single texts, pairs, truncation, a padded batch) and
                            the model's last hidden state on a padded batch and the MLM logits
                            of its second row
  tiny-roberta-classifier/  the same encoder with a random 3-class RobertaClassificationHead
                            (seed 1, id2label negative/neutral/positive) and the tokenizer, and
                            golden.json with its logits on the same batch and on a pair batch

`roundtrip` loads Tests/ModelsTests/Fixtures/kit-tiny-roberta (a RobertaForSequenceClassification
and tokenizer the kit saved) with AutoTokenizer and AutoModelForSequenceClassification and writes
what transformers computes to kit-tiny-roberta-transformers.json; ModelsTests checks the kit
computes the same from the same files.
"""
import json
import os
import sys
import tempfile

import torch
from tokenizers.implementations import ByteLevelBPETokenizer
from transformers import (AddedToken, AutoModelForSequenceClassification, AutoTokenizer, RobertaConfig,
                          RobertaForMaskedLM, RobertaForSequenceClassification, RobertaTokenizer)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
SST2 = os.path.join(ROOT, "..", "shared", "data", "real", "sst2", "stsa.binary.train")
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]

SINGLES = [
    "Hello world", " Hello world", "The movie wasn't good at all.", "It's   three  spaces\tand a tab\n",
    "naïve café — 12,345 émojis 🙂!", "Paris is <mask>.", "Paris is   <mask> and <mask>!",
    "<s>already</s> special <pad>", "", "  leading spaces", "a<mask>b", "can't won't they'll we're I'd",
    "A gripping, beautifully acted story!",
]
PAIRS = [
    ("The movie was great.", "I loved it."),
    ("short", "a much longer second sentence that certainly needs truncation here"),
    ("a much longer first sentence that certainly needs truncation here", "short"),
    ("both sentences are rather long and will be cut", "and so is this one, which goes on and on"),
]
TRUNCATED_SINGLE = 8
TRUNCATED_PAIR = 14
BATCH = ["The movie was great.", "Paris is <mask>.", "a stirring , funny and finally transporting film"]
PAIR_BATCH = [("the acting is fine", "but the plot is <mask> ."), ("great", "terrible film")]


def floats(t):
    return [float(f"{x:.7g}") for x in t.detach().flatten().tolist()]


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")


def corpus():
    if os.path.exists(SST2):
        with open(SST2) as f:
            return [line.split(" ", 1)[1].strip() for line in f if " " in line]
    print(f"{SST2} not found: training the BPE on the built-in sentences", file=sys.stderr)
    return SINGLES + [a + " " + b for a, b in PAIRS] * 10


def tokenizer_fixture(directory):
    """Trains the small BPE, then saves it as transformers' RobertaTokenizer saves it."""
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus(), vocab_size=400, min_frequency=2, special_tokens=SPECIALS)
    with tempfile.TemporaryDirectory() as tmp:
        vocab, merges = bpe.save_model(tmp)
        tokenizer = RobertaTokenizer.from_pretrained(
            tmp, vocab_file=vocab, merges_file=merges,
            mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, special=True, normalized=False))
    tokenizer.save_pretrained(directory)
    # Also vocab.json + merges.txt, the older layout the kit reads as well.
    bpe.save_model(directory)
    return AutoTokenizer.from_pretrained(directory)


def encode(tokenizer, text, pair=None, **kwargs):
    e = tokenizer(text, pair, return_token_type_ids=True, **kwargs)
    return {"text": text, "pair": pair, "input_ids": e["input_ids"], "token_type_ids": e["token_type_ids"],
            "tokens": tokenizer.convert_ids_to_tokens(e["input_ids"])}


def tokenizer_golden(tokenizer):
    batch = tokenizer(BATCH, padding=True)
    return {
        "singles": [encode(tokenizer, t) for t in SINGLES],
        "pairs": [encode(tokenizer, a, b) for a, b in PAIRS],
        "truncated_singles": [
            dict(encode(tokenizer, t, truncation=True, max_length=TRUNCATED_SINGLE), max_length=TRUNCATED_SINGLE)
            for t in SINGLES],
        "truncated_pairs": [
            dict(encode(tokenizer, a, b, truncation=True, max_length=TRUNCATED_PAIR), max_length=TRUNCATED_PAIR)
            for a, b in PAIRS],
        "decoded": [tokenizer.decode(tokenizer(t)["input_ids"]) for t in SINGLES],
        "padded_batch": {"texts": BATCH, "input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]},
    }


def config(vocab_size):
    return RobertaConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=64, max_position_embeddings=34, type_vocab_size=1,
                         layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                         # Large weights (not 0.02), so that logits differ from input to input
                         # and comparing them within 1e-4 tests something.
                         initializer_range=0.2)


def fixtures():
    mlm_dir = os.path.join(FIXTURES, "tiny-roberta")
    tokenizer = tokenizer_fixture(mlm_dir)
    golden = {"tokenizer": tokenizer_golden(tokenizer)}

    torch.manual_seed(0)
    mlm = RobertaForMaskedLM(config(len(tokenizer))).eval()
    mlm.save_pretrained(mlm_dir, safe_serialization=True)
    batch = tokenizer(BATCH, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = mlm(**batch, output_hidden_states=True)
        first = batch["input_ids"][:1]
        embeds = mlm.roberta.embeddings.word_embeddings(first) * 0.5
        from_embeds = mlm.roberta(inputs_embeds=embeds).last_hidden_state
    golden["model"] = {
        "input_ids": batch["input_ids"].tolist(), "attention_mask": batch["attention_mask"].tolist(),
        "position_ids": mlm.roberta.embeddings.create_position_ids_from_input_ids(batch["input_ids"], 1).tolist(),
        "last_hidden_state": floats(out.hidden_states[-1]),
        # One row's logits (the one with <mask>), to keep the fixture small.
        "logits_row": 1, "logits": floats(out.logits[1]),
        "inputs_embeds_ids": first.tolist(), "inputs_embeds_scale": 0.5,
        "inputs_embeds_last_hidden_state": floats(from_embeds)}
    write(os.path.join(mlm_dir, "golden.json"), golden)

    classifier_dir = os.path.join(FIXTURES, "tiny-roberta-classifier")
    torch.manual_seed(1)
    labels = ["negative", "neutral", "positive"]
    classifier = RobertaForSequenceClassification.from_pretrained(
        mlm_dir, num_labels=3, id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)}).eval()
    classifier.save_pretrained(classifier_dir, safe_serialization=True)
    tokenizer.save_pretrained(classifier_dir)
    pairs = tokenizer([a for a, _ in PAIR_BATCH], [b for _, b in PAIR_BATCH], padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = classifier(**batch).logits
        pair_logits = classifier(**pairs).logits
    write(os.path.join(classifier_dir, "golden.json"), {
        "input_ids": batch["input_ids"].tolist(), "attention_mask": batch["attention_mask"].tolist(),
        "logits": floats(logits), "pair_input_ids": pairs["input_ids"].tolist(),
        "pair_attention_mask": pairs["attention_mask"].tolist(), "pair_logits": floats(pair_logits)})
    print("wrote", mlm_dir, "and", classifier_dir)


def roundtrip():
    directory = os.path.join(FIXTURES, "kit-tiny-roberta")
    tokenizer = AutoTokenizer.from_pretrained(directory)
    model, info = AutoModelForSequenceClassification.from_pretrained(directory, output_loading_info=True)
    model.eval()
    batch = tokenizer(BATCH, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits
    write(os.path.join(FIXTURES, "kit-tiny-roberta-transformers.json"), {
        "tokenizer_class": type(tokenizer).__name__, "model_class": type(model).__name__,
        "missing_keys": sorted(info["missing_keys"]), "unexpected_keys": sorted(info["unexpected_keys"]),
        "texts": BATCH, "input_ids": batch["input_ids"].tolist(), "attention_mask": batch["attention_mask"].tolist(),
        "probabilities": floats(logits.softmax(-1))})
    print("transformers read", directory, "as", type(model).__name__, "missing", info["missing_keys"],
          "unexpected", info["unexpected_keys"])


if __name__ == "__main__":
    os.makedirs(FIXTURES, exist_ok=True)
    if sys.argv[1:] == ["roundtrip"]:
        roundtrip()
    elif not sys.argv[1:]:
        fixtures()
    else:
        sys.exit("usage: golden_roberta.py [roundtrip]")
