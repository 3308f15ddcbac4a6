#!/usr/bin/env python3
"""A BERT checkpoint whose only tokenizer file is tokenizer.json, for the kit's tests.

    pip install transformers tokenizers
    python3 scripts/make_tokenizer_json_fixture.py
    python3 scripts/make_tokenizer_json_fixture.py --check DIR   # a checkpoint the kit saved

Writes Tests/ModelsTests/Fixtures/kit-tiny-bert-tokenizer-json/: config.json and
model.safetensors copied from kit-tiny-bert, and the tokenizer.json that transformers'
AutoTokenizer writes for kit-tiny-bert's vocab.txt (no vocab.txt, so the kit must read
tokenizer.json, as transformers' AutoTokenizer does). It also writes
tokenizer-json-golden.json beside it: the ids AutoTokenizer gives a few texts from that
directory. TokenizersTests checks the kit's loadTokenizer gives the same ids and that the kit's
own tokenizer.json writer writes the same JSON; CourseCLITests fine-tunes and predicts with it.

--check DIR loads DIR (e.g. the output of `course finetune --output DIR` on the fixture) with
AutoTokenizer and asserts its ids equal the fixture tokenizer's.
"""
import json
import os
import shutil
import sys
import tempfile

from transformers import AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
SOURCE = os.path.join(FIXTURES, "kit-tiny-bert")
TARGET = os.path.join(FIXTURES, "kit-tiny-bert-tokenizer-json")
TEXTS = [
    "The critics praised the festival as wonderful.",
    "It broke after two days. I would not buy it again.",
    "Visitors asked for their MONEY back; it was terrible!",
    "The food was [MASK].",
    "zebra quokka",
    "",
]
PAIR = ("The hotel was clean.", "the price was fair")


def encodings(tokenizer):
    single = [tokenizer(text)["input_ids"] for text in TEXTS]
    pair = tokenizer(*PAIR)
    return {"texts": TEXTS, "input_ids": single, "pair": list(PAIR),
            "pair_input_ids": pair["input_ids"], "pair_token_type_ids": pair["token_type_ids"]}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        saved = AutoTokenizer.from_pretrained(sys.argv[2])
        expected = AutoTokenizer.from_pretrained(TARGET)
        assert encodings(saved) == encodings(expected), "the saved tokenizer gives other ids"
        print(f"{sys.argv[2]}: AutoTokenizer loads it as {type(saved).__name__}; ids equal the fixture's")
        return
    os.makedirs(TARGET, exist_ok=True)
    for name in ["config.json", "model.safetensors"]:
        shutil.copyfile(os.path.join(SOURCE, name), os.path.join(TARGET, name))
    with tempfile.TemporaryDirectory() as scratch:
        # AutoTokenizer reads kit-tiny-bert as transformers reads any BERT checkpoint (config.json's
        # model_type, then vocab.txt); save_pretrained writes its tokenizer.json.
        AutoTokenizer.from_pretrained(SOURCE).save_pretrained(scratch)
        shutil.copyfile(os.path.join(scratch, "tokenizer.json"), os.path.join(TARGET, "tokenizer.json"))
    loaded = AutoTokenizer.from_pretrained(TARGET)
    assert len(loaded) == len(AutoTokenizer.from_pretrained(SOURCE)), "the whole vocabulary is in tokenizer.json"
    with open(os.path.join(FIXTURES, "kit-tiny-bert-tokenizer-json-golden.json"), "w") as f:
        json.dump(encodings(loaded), f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {TARGET} ({type(loaded).__name__})")


if __name__ == "__main__":
    main()
