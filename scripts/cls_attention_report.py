"""Where a kit BERT checkpoint's [CLS] reads from (issue 15): for each layer and head, over the first
200 training reviews of the sentiment task, the entropy of the [CLS] row of attention (and that of
a uniform row), its weight on itself, on positions 1-3 and on [SEP], and the mean distance at which
the other tokens attend (a locality measure); then how alike the reviews' last-layer [CLS] states
and mean-pooled states are (mean pairwise cosine).
Usage: python3 scripts/cls_attention_report.py CHECKPOINT_DIR   (needs torch and transformers)
"""
import os, sys, torch
from transformers import BertModel, BertTokenizer
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
path = sys.argv[1]
tok = BertTokenizer(path + "/vocab.txt", do_lower_case=True)
model = BertModel.from_pretrained(path, attn_implementation="eager").eval()
rows = [l.split("\t", 1) for l in open(ROOT + "/datasets/sentiment/train.tsv").read().splitlines()[1:]][:200]
batch = tok([t for _, t in rows], padding=True, truncation=True, max_length=64, return_tensors="pt")
with torch.no_grad():
    out = model(**batch, output_attentions=True)
mask = batch["attention_mask"].float(); n = mask.sum(1)  # (batch, seq), (batch,)
pos = torch.arange(mask.shape[1]).float()
for layer, A in enumerate(out.attentions):  # (batch, heads, query, key)
    for h in range(A.shape[1]):
        row = A[:, h, 0]  # the [CLS] row, (batch, key)
        entropy = -(row.clamp_min(1e-12).log() * row).sum(-1).mean()
        sep = row[torch.arange(len(n)), (n - 1).long()].mean()
        offset = ((A[:, h] * (pos[None, None, :] - pos[None, :, None]).abs()).sum(-1) * mask).sum() / mask.sum()
        print(f"layer {layer + 1} head {h}: [CLS] row entropy {entropy:.2f} nats (uniform {n.log().mean():.2f}), "
              f"on itself {row[:, 0].mean():.2f}, on positions 1-3 {row[:, 1:4].sum(-1).mean():.2f}, on [SEP] {sep:.2f}; "
              f"other tokens attend {offset:.2f} positions away on average")
last = out.last_hidden_state
for name, x in (("[CLS] state", last[:, 0]), ("mean of states", (last * mask[..., None]).sum(1) / n[:, None])):
    unit = torch.nn.functional.normalize(x, dim=-1)
    print(f"{name}: mean pairwise cosine between reviews {(unit @ unit.T)[~torch.eye(len(x), dtype=bool)].mean():.3f}")
