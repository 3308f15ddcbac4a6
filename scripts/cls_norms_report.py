"""Diagnostic (issue 15): how large is what each sublayer adds to [CLS], next to the residual it adds to?

Tests the "massive activation" reading of the [CLS] obstacle (a few huge dimensions or a sink
state that a fine-tuned read cannot move). For the first 200 training reviews of the kit's
sentiment task, prints per sublayer (aN: attention of layer N after its output projection, fN: the
feed-forward block) the mean norm of the update and of the residual stream at [CLS], how much each
varies across reviews (mean distance from the mean over reviews), the same norms for the other
tokens, and the five largest |dimensions| of the final [CLS] state.
Usage: python3 scripts/cls_norms_report.py [MODEL_DIR]   (default: datasets/models/bert-mini)
Needs torch and transformers. Results are in datasets/models/bert-mini/README.md.
"""
import os, sys, torch
from transformers import BertModel, BertTokenizer
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "datasets/models/bert-mini")
tok = BertTokenizer(path + "/vocab.txt", do_lower_case=True)
model = BertModel.from_pretrained(path, attn_implementation="eager").eval()
lines = open(os.path.join(root, "datasets/sentiment/train.tsv")).read().splitlines()[1:201]
enc = tok([l.split("\t", 1)[1] for l in lines], padding=True, truncation=True, max_length=64, return_tensors="pt")
rec = {}  # name -> (update, residual), each (reviews, seq, hidden)
for i, layer in enumerate(model.encoder.layer):
    # BertSelfOutput / BertOutput get (sublayer output before projection, residual input)
    for name, mod in ((f"a{i}", layer.attention.output), (f"f{i}", layer.output)):
        mod.register_forward_hook(lambda m, inp, out, name=name: rec.__setitem__(name, (m.dense(inp[0]).detach(), inp[1].detach())))
with torch.no_grad():
    out = model(**enc)
mask = enc["attention_mask"].bool()[:, 1:]
for name in sorted(rec):
    upd, res = rec[name]
    spread = lambda x: (x - x.mean(0)).norm(dim=-1).mean().item()
    print(f"{name}: [CLS] update {upd[:, 0].norm(dim=-1).mean():.2f} (varies {spread(upd[:, 0]):.2f}), "
          f"residual {res[:, 0].norm(dim=-1).mean():.2f} (varies {spread(res[:, 0]):.2f}) | other tokens: "
          f"update {upd[:, 1:][mask].norm(dim=-1).mean():.2f}, residual {res[:, 1:][mask].norm(dim=-1).mean():.2f}")
print("final [CLS] state, largest |dimensions|:", [round(v, 2) for v in out.last_hidden_state[:, 0].abs().max(0).values.topk(5).values.tolist()])
