"""Prototype (issue 15): a [CLS] objective that needs the stance of one text, not a comparison.

Each opinion document (datasets/corpus/opinions.txt, its last 300 left out) is cut into two halves
of shuffled sentences; the pooled [CLS] of one half predicts the bag of words of the *other* half
(soft-target cross-entropy over the vocabulary: a dense layer, then the word embeddings, tied,
plus a bias that absorbs how frequent each word is), both ways, with masked LM alongside. A
document keeps one stance, so what one half says about the other beyond word frequencies is
mostly its stance: the pooled state has to carry it, readable by a linear map. (NSP on the same
documents only asks whether two halves agree, which a [CLS] can answer without coding either
stance on its own.) Continues a checkpoint (bert-mini by default) and saves BertForPreTraining
weights (with the trained pooler) that `course finetune --pooling cls` reads; copy vocab.txt
next to them. Prints a logistic-regression probe of the frozen pooled [CLS] before and after.
Usage: [SOURCE=CHECKPOINT] [THREADS=1] python3 scripts/cls_context_words_prototype.py STEPS LR OUTPUT_DIR
Needs torch, transformers, scikit-learn. Results: datasets/models/bert-mini/README.md.
"""
import os, sys, re, random, torch, torch.nn.functional as F
from transformers import BertForPreTraining, BertTokenizer, DataCollatorForLanguageModeling
from transformers.utils import logging
from sklearn.linear_model import LogisticRegression
logging.set_verbosity_error()
steps, lr, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
torch.manual_seed(0); random.seed(0); torch.set_num_threads(int(os.environ.get("THREADS", "1")))
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
src = os.environ.get("SOURCE", root + "/datasets/models/bert-mini")
tok = BertTokenizer(src + "/vocab.txt", do_lower_case=True)
model = BertForPreTraining.from_pretrained(src)
docs = [l for l in open(root + "/datasets/corpus/opinions.txt").read().splitlines() if l.strip()][:-300]
docs = [[s for s in re.split(r"(?<=[.!?])\s+", d) if s] for d in docs]
coll = DataCollatorForLanguageModeling(tok, mlm_probability=0.15)
V, H = model.config.vocab_size, model.config.hidden_size
transform = torch.nn.Linear(H, H); bias = torch.nn.Parameter(torch.zeros(V))
def rows(path):
    L = [l.split("\t", 1) for l in open(path).read().splitlines()[1:]]
    return [t for _, t in L], [1 if y == "positive" else 0 for y, _ in L]
def probe(tag):
    model.eval(); feats = []
    with torch.no_grad():
        for texts in (rows(root + "/datasets/sentiment/train.tsv")[0], rows(root + "/datasets/sentiment/validation.tsv")[0]):
            b = tok(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
            feats.append(model.bert(**b).pooler_output.numpy())
    ty, vy = rows(root + "/datasets/sentiment/train.tsv")[1], rows(root + "/datasets/sentiment/validation.tsv")[1]
    clf = LogisticRegression(max_iter=3000).fit(feats[0], ty)
    print(f"{tag} probe pooled [CLS]: train {clf.score(feats[0], ty):.3f} validation {clf.score(feats[1], vy):.3f}", flush=True)
def bag(enc):  # (B, V): each text's word distribution, special tokens left out
    b = torch.zeros(enc["input_ids"].shape[0], V).scatter_add_(1, enc["input_ids"], torch.ones_like(enc["input_ids"], dtype=torch.float))
    b[:, :5] = 0  # [PAD] [UNK] [CLS] [SEP] [MASK]
    return b / b.sum(1, keepdim=True).clamp_min(1)
probe("before")
params = list(model.parameters()) + list(transform.parameters()) + [bias]
opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / (0.05 * steps)) * max(0, (steps - s) / steps))
B = 64
for step in range(steps):
    model.train(); first, second = [], []
    for d in random.sample(docs, B):
        d = d[:]; random.shuffle(d); k = len(d) // 2; first.append(" ".join(d[:k])); second.append(" ".join(d[k:]))
    ea = tok(first, padding=True, truncation=True, max_length=64, return_tensors="pt")
    eb = tok(second, padding=True, truncation=True, max_length=64, return_tensors="pt")
    za, zb = model.bert(**ea).pooler_output, model.bert(**eb).pooler_output  # (B, H)
    E = model.bert.embeddings.word_embeddings.weight  # (V, H)
    la, lb = transform(za) @ E.T + bias, transform(zb) @ E.T + bias  # (B, V)
    cw = -(bag(eb) * F.log_softmax(la, -1)).sum(1).mean() / 2 - (bag(ea) * F.log_softmax(lb, -1)).sum(1).mean() / 2
    m = coll([{"input_ids": ids} for ids in tok(first + second, truncation=True, max_length=64)["input_ids"]])
    mlm = model(input_ids=m["input_ids"], attention_mask=(m["input_ids"] != 0).long()).prediction_logits
    ml = F.cross_entropy(mlm.view(-1, V), m["labels"].view(-1), ignore_index=-100)
    loss = cw + ml; opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    if step % max(1, steps // 20) == 0: print(step, f"context words {cw.item():.3f} mlm {ml.item():.3f}", flush=True)
probe("after"); model.save_pretrained(out); tok.save_pretrained(out)
