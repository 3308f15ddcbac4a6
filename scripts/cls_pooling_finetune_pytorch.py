"""A kit BERT checkpoint fine-tuned on the sentiment task in transformers with Lesson 5's recipe.

Checks that the kit's [CLS] failure is the model's, not the kit's: transformers'
BertForSequenceClassification, AdamW lr 1e-3 (no decay on biases and LayerNorm weights, 0.01 on the
rest), linear schedule with 10% warm-up, batch 32, 6 epochs, max length 64, clipping at 1.0. Prints
training loss, validation accuracy and the mean gradient norm reaching the last layer's query weight.

Diagnostics (issue 15): --layer L feeds the pooler from layer L's states (0 = embeddings) instead of
the last layer's; --reinit-pooler draws the pooler afresh (std 0.02) before fine-tuning; --probe
first fits a logistic regression on the frozen [CLS] state and pooled output (needs scikit-learn);
--zero-last-query zeroes the last layer's query weight and bias, so every position (the [CLS] row
too) starts by reading all tokens evenly; --reinit-last draws the last layer afresh (Zhang et al.
2021's re-initialisation of the top layer); --reinit PARTS draws the named parts afresh
(word, position, type, embedding-norm, layer0, layer1, ...); --save-start DIR saves the encoder
as fine-tuning would start (after --reinit) for `course finetune --model DIR`, and stops.
Usage: python3 scripts/cls_pooling_finetune_pytorch.py SEED cls|mean [CHECKPOINT] [--layer L]
       [--reinit-pooler] [--epochs N] [--lr X] [--probe] [--zero-last-query] [--reinit-last]
       [--reinit PARTS] [--save-start DIR]
"""
import argparse, os, shutil, sys, torch, random, numpy as np
from transformers import BertForSequenceClassification, BertTokenizer, get_linear_schedule_with_warmup
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
p = argparse.ArgumentParser()
p.add_argument("seed", type=int); p.add_argument("pooling", choices=["cls", "mean"])
p.add_argument("checkpoint", nargs="?", default=ROOT + "/datasets/models/bert-mini")
p.add_argument("--layer", type=int, default=-1); p.add_argument("--reinit-pooler", action="store_true")
p.add_argument("--epochs", type=int, default=6); p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--probe", action="store_true"); p.add_argument("--zero-last-query", action="store_true")
p.add_argument("--reinit-last", action="store_true")
p.add_argument("--reinit", default="", help="parts drawn afresh, comma-separated: word, position, type, embedding-norm, layer0, layer1, ...")
p.add_argument("--save-start", default="", help="save the encoder after --reinit to this directory and stop")
a = p.parse_args(); seed, pooling, path = a.seed, a.pooling, a.checkpoint
torch.manual_seed(seed); random.seed(seed); torch.set_num_threads(1)
tok = BertTokenizer(path + "/vocab.txt", do_lower_case=True)
model = BertForSequenceClassification.from_pretrained(path, num_labels=2)
if a.reinit_pooler:
    model.bert.pooler.dense.weight.data.normal_(0, 0.02); model.bert.pooler.dense.bias.data.zero_()
if a.zero_last_query:
    query = model.bert.encoder.layer[-1].attention.self.query; query.weight.data.zero_(); query.bias.data.zero_()
def draw_afresh(part):
    """BERT's initialisation, drawn by hand: transformers 5's _init_weights skips tensors loaded
    from a checkpoint, so part.apply(model._init_weights) would leave the part as it was."""
    for module in part.modules():
        if isinstance(module, torch.nn.Linear):
            module.weight.data.normal_(0, model.config.initializer_range); module.bias.data.zero_()
        elif isinstance(module, torch.nn.LayerNorm):
            module.weight.data.fill_(1.0); module.bias.data.zero_()
        elif isinstance(module, torch.nn.Embedding):
            module.weight.data.normal_(0, model.config.initializer_range)
embeddings = model.bert.embeddings
parts = {"word": embeddings.word_embeddings, "position": embeddings.position_embeddings,
         "type": embeddings.token_type_embeddings, "embedding-norm": embeddings.LayerNorm,
         **{f"layer{i}": layer for i, layer in enumerate(model.bert.encoder.layer)}}
for name in [x for x in a.reinit.split(",") if x] + (["layer%d" % (len(model.bert.encoder.layer) - 1)] if a.reinit_last else []):
    if name not in parts: sys.exit(f"--reinit: no part named {name!r}; the parts are {', '.join(parts)}")
    draw_afresh(parts[name])
if a.save_start:  # the encoder as fine-tuning starts, for `course finetune --model DIR`
    model.bert.save_pretrained(a.save_start); shutil.copy(path + "/vocab.txt", a.save_start); sys.exit(0)
def rows(p):
    L = [l.split("\t", 1) for l in open(p).read().splitlines()[1:]]
    return [t for _, t in L], torch.tensor([1 if y == "positive" else 0 for y, _ in L])
tx, ty = rows(ROOT + "/datasets/sentiment/train.tsv"); vx, vy = rows(ROOT + "/datasets/sentiment/validation.tsv")
def forward(texts):
    b = tok(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
    h = model.bert(**b, output_hidden_states=True).hidden_states[a.layer]  # (batch, seq, hidden)
    m = b["attention_mask"].unsqueeze(-1).float()
    x = h[:, 0] if pooling == "cls" else (h * m).sum(1) / m.sum(1)  # (batch, hidden)
    return model.classifier(model.dropout(model.bert.pooler.activation(model.bert.pooler.dense(x))))
if a.probe:
    from sklearn.linear_model import LogisticRegression
    model.eval()
    with torch.no_grad():
        def feats(texts):
            o = model.bert(**tok(texts, padding=True, truncation=True, max_length=64, return_tensors="pt"))
            return o.last_hidden_state[:, 0].numpy(), o.pooler_output.numpy()
        (tc, tp), (vc, vp) = feats(tx), feats(vx)
    for name, f, g in (("[CLS] state", tc, vc), ("pooled output", tp, vp)):
        clf = LogisticRegression(max_iter=2000).fit(f, ty.numpy())
        print(f"probe on the frozen {name}: train {clf.score(f, ty.numpy()):.3f} validation {clf.score(g, vy.numpy()):.3f}")
nd = ["bias", "LayerNorm.weight"]
groups = [{"params": [p for n, p in model.named_parameters() if not any(x in n for x in nd)], "weight_decay": 0.01},
          {"params": [p for n, p in model.named_parameters() if any(x in n for x in nd)], "weight_decay": 0.0}]
opt = torch.optim.AdamW(groups, lr=a.lr); steps = a.epochs * 25
sch = get_linear_schedule_with_warmup(opt, int(0.1 * steps + 0.999), steps)
q = model.bert.encoder.layer[-1].attention.self.query.weight
for ep in range(a.epochs):
    model.train(); perm = torch.randperm(len(tx)).tolist(); losses = []; gq = []
    for i in range(0, len(tx), 32):
        idx = perm[i:i+32]
        loss = torch.nn.functional.cross_entropy(forward([tx[j] for j in idx]), ty[idx])
        opt.zero_grad(); loss.backward(); gq.append(q.grad.norm().item() if q.grad is not None else 0.0)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); sch.step(); losses.append(loss.item())
    model.eval()
    with torch.no_grad(): acc = (forward(vx).argmax(-1) == vy).float().mean().item()
    print(f"{pooling} seed {seed} epoch {ep+1} train loss {np.mean(losses):.3f} val acc {acc:.3f} |grad q last| {np.mean(gq):.2e}", flush=True)
