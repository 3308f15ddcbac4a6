#!/usr/bin/env python3
"""Golden outputs for the kit's BertForPreTraining (MLM head + cls.seq_relationship), from Hugging
Face transformers. Writes Tests/ModelsTests/Fixtures/tiny-bert-pretraining/: a randomly
initialised tiny BertForPreTraining (seed 0, saved with save_pretrained) and golden.json with
sentence pairs as ids, token types and masks, the MLM logits, the sentence-relationship logits and
transformers' total loss for given MLM and next-sentence labels; and the MLM + bag-of-words loss of
`course pretrain --objective mlm+bow` on the same rows (no token types), computed as
scripts/cls_objectives_prototype.py's `maskedbow` computes it. The Swift test
BertPreTrainingGoldenTests compares the kit's forward pass and losses with them.

    pip install 'torch==2.13.0+cpu' transformers
    python3 scripts/golden_bert_pretraining.py
"""
import json
import os

import torch
from transformers import BertConfig, BertForPreTraining

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures", "tiny-bert-pretraining")

torch.manual_seed(0)
config = BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=32, max_position_embeddings=16, initializer_range=0.2)
model = BertForPreTraining(config).eval()
# [CLS]=2, [SEP]=3, [PAD]=0: two pairs, the second padded.
input_ids = [[2, 7, 8, 9, 3, 10, 11, 3], [2, 12, 13, 3, 14, 3, 0, 0]]
token_type_ids = [[0, 0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 1, 1, 0, 0]]
attention_mask = [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 0, 0]]
labels = [[-100, 7, -100, 21, -100, -100, 11, -100], [-100, -100, 5, -100, 14, -100, -100, -100]]
next_sentence_label = [0, 1]
with torch.no_grad():
    out = model(input_ids=torch.tensor(input_ids), token_type_ids=torch.tensor(token_type_ids),
                attention_mask=torch.tensor(attention_mask), labels=torch.tensor(labels),
                next_sentence_label=torch.tensor(next_sentence_label))
    # mlm+bow: the masked row's pooled [CLS] x tied word embeddings against the unmasked row's
    # distinct words, special ids (< 5) left out, each bag normalised to sum 1.
    ids, lab = torch.tensor(input_ids), torch.tensor(labels)
    bow_out = model.bert(input_ids=ids, attention_mask=torch.tensor(attention_mask))
    bow_logits = bow_out.pooler_output @ model.bert.embeddings.word_embeddings.weight.T  # (batch, vocab)
    bag = torch.zeros_like(bow_logits).scatter_(1, torch.where(lab == -100, ids, lab), 1.0)
    bag[:, :5] = 0
    bag = bag / bag.sum(1, keepdim=True)
    bag_of_words_loss = -(bag * torch.log_softmax(bow_logits, -1)).sum(1).mean()
    mlm_logits = model.cls.predictions(bow_out.last_hidden_state)
    masked_lm_loss = torch.nn.functional.cross_entropy(mlm_logits.view(-1, config.vocab_size), lab.view(-1))
os.makedirs(OUT, exist_ok=True)
model.save_pretrained(OUT)
golden = {
    "input_ids": input_ids, "token_type_ids": token_type_ids, "attention_mask": attention_mask,
    "labels": labels, "next_sentence_label": next_sentence_label,
    "prediction_logits": [round(float(x), 7) for x in out.prediction_logits.flatten()],
    "seq_relationship_logits": [round(float(x), 7) for x in out.seq_relationship_logits.flatten()],
    "total_loss": float(out.loss),
    "bow_masked_lm_loss": float(masked_lm_loss), "bag_of_words_loss": float(bag_of_words_loss),
}
json.dump(golden, open(os.path.join(OUT, "golden.json"), "w"), indent=1)
print("wrote", OUT, "total loss", float(out.loss))
