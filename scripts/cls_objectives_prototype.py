"""Prototype sentence-level objectives for bert-mini's [CLS] (issue 15), in PyTorch for speed.

Continues datasets/models/bert-mini with masked-LM plus one objective on the [CLS] state, over the
sentences of datasets/corpus/general.txt (its last 180 documents left out, as course pretrain does),
prints a logistic-regression probe of the frozen pooled [CLS] and mean-pooled states on the
sentiment task before and after, and saves a checkpoint that `course finetune --pooling cls` reads
(copy bert-mini's vocab.txt next to it). Objectives:
  simcse   unsupervised SimCSE (Gao et al. 2021): two dropout passes, in-batch negatives, tau 0.05
  bow      predict the bag of words of the row (sentence, or document with UNIT=documents) from
           the pooled [CLS] (tied word embeddings), in a second forward pass on the unmasked row
  bowmean  the same bag predicted through the pooler from the mean of the last states instead of
           [CLS] (the control: can the encoder carry the bag to one vector at all?)
  maskedbow  the bag of words of the whole document from the pooled [CLS] of the *masked* input,
           in the masked-LM forward pass (one forward pass a step instead of bow's two)
  meancls  the last-layer [CLS] state regresses onto the (stopped) mean of the other token states
  none     masked LM alone (the baseline for SOURCE=random)
Usage: [SOURCE=CHECKPOINT|random] python3 scripts/cls_objectives_prototype.py OBJECTIVE STEPS LR OUTPUT_DIR [MLM_WEIGHT]
(SOURCE: the checkpoint to continue, bert-mini by default; copy its vocab.txt next to the output.
SOURCE=random starts from weights drawn afresh with bert-mini's config and vocabulary: pre-training
from scratch with the objective from step 0. UNIT=documents trains on whole documents cut at 64
tokens, as course pretrain's sequences are, instead of sentences; BATCH sets the batch, 64 by default;
SEED the torch and data-order seed, 0 by default; CLIP=1 clips the gradient norm at 1.0, as
position_shrink_prototype.py does, so that SOURCE=random UNIT=documents BATCH=32 CLIP=1 matches its
learned-position control but for the objective.)
Results are in datasets/models/bert-mini/README.md. Needs torch, transformers, scikit-learn.
"""
import os, sys, re, random, torch, torch.nn.functional as F, numpy as np
from transformers import BertConfig, BertForPreTraining, BertTokenizer, DataCollatorForLanguageModeling
from sklearn.linear_model import LogisticRegression
objective = sys.argv[1]; steps = int(sys.argv[2]); lr = float(sys.argv[3]); out = sys.argv[4]
mlm_w = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
assert objective in ("simcse", "bow", "bowmean", "maskedbow", "meancls", "none"), objective
seed = int(os.environ.get("SEED", "0")); torch.manual_seed(seed); random.seed(seed); torch.set_num_threads(1)
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
src = os.environ.get("SOURCE", os.path.join(root, "datasets/models/bert-mini"))
if src == "random":  # built from the config, not re-initialised: transformers 5 skips loaded tensors
    src = os.path.join(root, "datasets/models/bert-mini")
    model = BertForPreTraining(BertConfig.from_pretrained(src))
else:
    model = BertForPreTraining.from_pretrained(src)
tok = BertTokenizer(src + "/vocab.txt", do_lower_case=True)
docs = [l for l in open(root + "/datasets/corpus/general.txt").read().splitlines() if l.strip()]
docs = docs[: len(docs) - 180]
if os.environ.get("UNIT", "sentences") == "documents":
    sents = docs
else:
    sents = [s for d in docs for s in re.split(r"(?<=[.!?])\s+", d) if s]
print(len(sents), os.environ.get("UNIT", "sentences"))
coll = DataCollatorForLanguageModeling(tok, mlm_probability=0.15)
def rows(path):
    L = [l.split("\t", 1) for l in open(path).read().splitlines()[1:]]
    return [t for _, t in L], [1 if y == "positive" else 0 for y, _ in L]
def embed(texts):
    model.eval(); outs = []
    with torch.no_grad():
        for i in range(0, len(texts), 64):
            b = tok(texts[i:i+64], padding=True, truncation=True, max_length=64, return_tensors="pt")
            o = model.bert(**b)
            m = b["attention_mask"].unsqueeze(-1).float()
            outs.append(torch.cat([o.pooler_output, (o.last_hidden_state * m).sum(1) / m.sum(1)], 1))
    return torch.cat(outs).numpy()
def probe(tag):
    tx, ty = rows(root + "/datasets/sentiment/train.tsv"); vx, vy = rows(root + "/datasets/sentiment/validation.tsv")
    a, b = embed(tx), embed(vx)
    for name, sl in (("pooled cls", slice(0, 128)), ("mean", slice(128, 256))):
        clf = LogisticRegression(max_iter=2000).fit(a[:, sl], ty)
        print(f"{tag} probe {name}: train {clf.score(a[:, sl], ty):.3f} val {clf.score(b[:, sl], vy):.3f}")
def bag_loss(z, ids):
    """Soft cross-entropy of z (B, hidden) through the tied word embeddings against the rows' bags
    of words (ids (B, seq), special tokens left out), each bag normalised to sum 1."""
    logits = z @ model.bert.embeddings.word_embeddings.weight.T  # (B, vocab)
    bag = torch.zeros_like(logits).scatter_(1, ids, 1.0)
    bag[:, :5] = 0  # [PAD] [UNK] [CLS] [SEP] [MASK]
    bag = bag / bag.sum(1, keepdim=True)
    return -(bag * F.log_softmax(logits, -1)).sum(1).mean()
probe("before")
opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / (0.05 * steps)) * max(0, (steps - s) / steps))
B = int(os.environ.get("BATCH", "64"))
for step in range(steps):
    model.train()
    batch = random.sample(sents, B)
    enc = tok(batch, padding=True, truncation=True, max_length=64, return_tensors="pt")
    if objective == "simcse":
        z1 = model.bert(**enc).pooler_output; z2 = model.bert(**enc).pooler_output
        sim = F.cosine_similarity(z1.unsqueeze(1), z2.unsqueeze(0), dim=-1) / 0.05
        cl = F.cross_entropy(sim, torch.arange(B))
    elif objective in ("bow", "bowmean"):
        o = model.bert(**enc)
        if objective == "bow":
            z = o.pooler_output  # (B, hidden)
        else:
            am = enc["attention_mask"].unsqueeze(-1).float()
            pooled = (o.last_hidden_state * am).sum(1) / am.sum(1)  # (B, hidden)
            z = torch.tanh(model.bert.pooler.dense(pooled))
        cl = bag_loss(z, enc["input_ids"])
    elif objective == "meancls":
        h = model.bert(**enc).last_hidden_state  # (B, seq, hidden)
        m = enc["attention_mask"].unsqueeze(-1).float().clone(); m[:, 0] = 0
        target = ((h * m).sum(1) / m.sum(1)).detach()
        cl = F.mse_loss(h[:, 0], target) * 10
    else:
        cl = torch.zeros(())
    m = coll([{"input_ids": ids} for ids in tok(batch, truncation=True, max_length=64)["input_ids"]])
    o = model.bert(input_ids=m["input_ids"], attention_mask=(m["input_ids"] != 0).long())
    mlm = model.cls.predictions(o.last_hidden_state)  # (B, seq, vocab)
    ml = F.cross_entropy(mlm.view(-1, mlm.size(-1)), m["labels"].view(-1), ignore_index=-100)
    if objective == "maskedbow":  # the masked input's pooled [CLS] predicts the whole document's bag
        cl = bag_loss(o.pooler_output, torch.where(m["labels"] == -100, m["input_ids"], m["labels"]))
    loss = cl + mlm_w * ml
    opt.zero_grad(); loss.backward()
    if os.environ.get("CLIP") == "1": torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step(); sched.step()
    if step % max(1, steps // 10) == 0: print(step, f"{objective} {cl.item():.3f} mlm {ml.item():.3f}", flush=True)
probe("after")
model.save_pretrained(out); tok.save_pretrained(out)
