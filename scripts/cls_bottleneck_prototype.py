"""Prototype (issue 15): masked LM through a [CLS] bottleneck, so [CLS] must carry what local context lacks.

A Condenser-style objective (Gao & Callan 2021), narrowed: besides ordinary masked LM, each masked
token is predicted a second time from only two things, its own state after the *first* layer
(which, in this checkpoint, knows a few neighbouring words) and the pooled [CLS] of the last layer,
concatenated and passed through a dense layer, GELU and LayerNorm into the tied word embeddings.
The second prediction has no attention of its own, so whatever the neighbours cannot tell it (in
an opinion document, whether the masked adjective praises or condemns) must come from [CLS]:
the pooled state is pushed to hold the document's stance where a linear map can read it.
Sequences are whole documents, up to 64 tokens: opinions.txt (each keeps one stance; its last 750
left out) and general.txt (its last 180 left out), half and half. Continues a checkpoint (bert-mini
by default) and saves BertForPreTraining weights (with the trained pooler) that
`course finetune --pooling cls` reads; copy vocab.txt next to them. Prints a logistic-regression
probe of the frozen pooled [CLS] on the sentiment task before and after, and at the end the
bottleneck loss on held-out opinion documents with their own [CLS] and with another document's:
the difference is what [CLS] contributes.
ZERO_QUERY=1 zeroes the last layer's query first, so [CLS] (and every token) starts by reading all
tokens evenly; masked LM then re-learns the tokens' reads while the bottleneck trains [CLS]'s.
Usage: [SOURCE=CHECKPOINT] [THREADS=1] [ZERO_QUERY=1] python3 scripts/cls_bottleneck_prototype.py STEPS LR OUTPUT_DIR
Needs torch, transformers, scikit-learn. Results: datasets/models/bert-mini/README.md.
"""
import os, sys, random, torch, torch.nn.functional as F
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
if os.environ.get("ZERO_QUERY") == "1":  # every row of the last layer's attention starts even
    query = model.bert.encoder.layer[-1].attention.self.query; query.weight.data.zero_(); query.bias.data.zero_()
def lines(name):
    return [l for l in open(f"{root}/datasets/corpus/{name}").read().splitlines() if l.strip()]
all_opinions = lines("opinions.txt")
opinions, held, general = all_opinions[:-750], all_opinions[-750:], lines("general.txt")[:-180]
coll = DataCollatorForLanguageModeling(tok, mlm_probability=0.15)
H = model.config.hidden_size
bottleneck = torch.nn.Sequential(torch.nn.Linear(2 * H, H), torch.nn.GELU(), torch.nn.LayerNorm(H))
decoder = model.cls.predictions.decoder  # tied to the word embeddings, with the MLM head's bias
def rows(path):
    L = [l.split("\t", 1) for l in open(path).read().splitlines()[1:]]
    return [t for _, t in L], [1 if y == "positive" else 0 for y, _ in L]
(tx, ty), (vx, vy) = rows(root + "/datasets/sentiment/train.tsv"), rows(root + "/datasets/sentiment/validation.tsv")
def probe(tag):
    model.eval(); feats = []
    with torch.no_grad():
        for texts in (tx, vx):
            b = tok(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
            feats.append(model.bert(**b).pooler_output.numpy())
    clf = LogisticRegression(max_iter=2000).fit(feats[0], ty)
    print(f"{tag} probe, frozen pooled [CLS]: train {clf.score(feats[0], ty):.3f} validation {clf.score(feats[1], vy):.3f}", flush=True)
probe("before")
params = list(model.parameters()) + list(bottleneck.parameters())
opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / (0.05 * steps)) * max(0, (steps - s) / steps))
B = 64
for step in range(steps):
    model.train(); bottleneck.train()
    batch = random.sample(opinions, B // 2) + random.sample(general, B // 2)
    m = coll([{"input_ids": ids} for ids in tok(batch, truncation=True, max_length=64)["input_ids"]])
    ids, labels = m["input_ids"], m["labels"]  # (B, seq)
    o = model.bert(input_ids=ids, attention_mask=(ids != 0).long(), output_hidden_states=True)
    mlm = model.cls.predictions(o.last_hidden_state)  # (B, seq, vocab)
    mlm_loss = F.cross_entropy(mlm.flatten(0, 1), labels.flatten(), ignore_index=-100)
    early = o.hidden_states[1]  # (B, seq, H): the first layer's states
    cls = o.pooler_output.unsqueeze(1).expand_as(early)  # (B, seq, H)
    through = decoder(bottleneck(torch.cat([early, cls], -1)))  # (B, seq, vocab)
    bottleneck_loss = F.cross_entropy(through.flatten(0, 1), labels.flatten(), ignore_index=-100)
    loss = mlm_loss + bottleneck_loss
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); sched.step()
    if step % max(1, steps // 10) == 0:
        print(step, f"mlm {mlm_loss.item():.3f} bottleneck {bottleneck_loss.item():.3f}", flush=True)
probe("after")
# Does the bottleneck read [CLS]? Its loss on held-out opinion documents with each document's own
# pooled [CLS], and with the [CLS] of another document of the batch (rolled by one).
model.eval(); bottleneck.eval(); own, other = [], []
with torch.no_grad():
    for i in range(0, 640, B):
        torch.manual_seed(i); m = coll([{"input_ids": x} for x in tok(held[i:i+B], truncation=True, max_length=64)["input_ids"]])
        o = model.bert(input_ids=m["input_ids"], attention_mask=(m["input_ids"] != 0).long(), output_hidden_states=True)
        early, pooled = o.hidden_states[1], o.pooler_output.unsqueeze(1)
        for c, acc in ((pooled, own), (pooled.roll(1, 0), other)):
            logits = decoder(bottleneck(torch.cat([early, c.expand_as(early)], -1)))
            acc.append(F.cross_entropy(logits.flatten(0, 1), m["labels"].flatten(), ignore_index=-100).item())
print(f"held-out bottleneck loss: own [CLS] {sum(own)/len(own):.3f}, another document's [CLS] {sum(other)/len(other):.3f}")
model.save_pretrained(out)
