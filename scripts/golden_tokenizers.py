#!/usr/bin/env python3
"""Golden token ids from Hugging Face's tokenizers, for Tests/TokenizersTests.

    pip install transformers
    python3 scripts/golden_tokenizers.py

Encodes fixture sentences with BertTokenizer on ../shared/data/real/minilm-l3/vocab.txt and
with GPT2Tokenizer on ../shared/data/real/gpt2-bpe/{vocab.json,merges.txt}, and writes
Tests/TokenizersTests/Fixtures/golden.json. The Swift tests read the same vocabulary files
(and skip when ../shared is absent).
"""
import json
import os

from transformers import BertTokenizer, GPT2Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL = os.path.join(ROOT, "..", "shared", "data", "real")
TEXTS = [
    "Hello world",
    "The movie was not good at all.",
    "I don't think it's worth $1,299.99 -- really!",
    "Café naïve résumé à la crème brûlée",
    "Über große Straßen, ÅNGSTRÖM",
    "東京は日本の首都です。",
    "emoji 😀 and ❤️ hearts",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\n\nhere",
    "Mixed CASE WoRdS and UPPER",
    "https://example.com/path?query=1&x=y#frag",
    "e-mail: someone@example.org (call +1-555-0100)",
    "3.14159 is π, 2^10 = 1024",
    "they'll we've I'm she'd you're it's",
    "\"quoted\" 'single' «guillemets» —dash— …",
    "a" * 120,
    "x" * 30 + "ing",
    "",
    "   ",
    "word\u00a0with\u2003odd\u200bspaces",
    "control\u0007chars\u0000here",
    "Ünïcödé nörmâlïzâtïön",
    "Fine-tuning BERT on SST-2: 92.7% accuracy.",
    "$$$ !!! ??? ...",
    "line one\r\nline two",
    "numbers 1234567890 and 12.5k",
    "can't won't shouldn't",
    "Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ",
    "The quick brown fox jumps over the lazy dog.",
]
PAIRS = [("How old are you?", "I am 6 years old."), ("The screen is bright.", "But the battery was not great.")]

bert = BertTokenizer(os.path.join(REAL, "minilm-l3", "vocab.txt"), do_lower_case=True)
gpt2 = GPT2Tokenizer(os.path.join(REAL, "gpt2-bpe", "vocab.json"), os.path.join(REAL, "gpt2-bpe", "merges.txt"))
fixture = {
    "texts": TEXTS,
    "bert_ids": [bert(t)["input_ids"] for t in TEXTS],
    "bert_tokens": [bert.tokenize(t) for t in TEXTS],
    "bert_pairs": [{"a": a, "b": b, "input_ids": bert(a, b)["input_ids"], "token_type_ids": bert(a, b)["token_type_ids"]}
                   for a, b in PAIRS],
    "gpt2_ids": [gpt2(t)["input_ids"] for t in TEXTS],
}
with open(os.path.join(ROOT, "Tests", "TokenizersTests", "Fixtures", "golden.json"), "w") as f:
    json.dump(fixture, f, ensure_ascii=False, indent=0)
    f.write("\n")
print("wrote", len(TEXTS), "texts")
