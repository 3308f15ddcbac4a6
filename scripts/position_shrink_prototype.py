"""Prototype (issue 15): continue bert-mini with masked LM after shrinking its position embeddings.

Drawing parts of bert-mini afresh showed that [CLS] fine-tunes once the position embeddings are
small next to the word embeddings (datasets/models/bert-mini/README.md). This asks whether the
pre-trained layers can be taught to work with small ones: position embeddings multiplied by SCALE
(and frozen unless FREEZE_POS=0), then STEPS of masked LM on general.txt's documents (its last 180
left out, as course pretrain does), batch 64, up to 128 tokens, AdamW with 5% warm-up and linear
decay, torch seed 0, 2 threads. Saves a BertForMaskedLM directory (with vocab.txt) for
`course finetune --model DIR`.
With SOURCE=random the model is built from bert-mini's config instead (pre-training from scratch,
BERT's initialisation, torch seed 0), so SCALE multiplies freshly drawn position embeddings (std 0.02;
0 removes positions); BATCH and MAX_LEN (defaults 64 and 128) set the batch, THREADS (default 2) the threads,
SEED (default 0) the torch and data-order seed.
Usage: [FREEZE_POS=0] [SOURCE=random] [SEED=N] [THREADS=N] [BATCH=N] [MAX_LEN=N] python3 scripts/position_shrink_prototype.py STEPS LR SCALE OUTPUT_DIR
Needs torch and transformers.
"""
import os, sys, random, torch, shutil
from transformers import BertForMaskedLM, BertTokenizer, DataCollatorForLanguageModeling
from transformers.utils import logging
logging.set_verbosity_error()
steps, lr, scale, out = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
freeze = os.environ.get("FREEZE_POS", "1") == "1"
batch, max_len = int(os.environ.get("BATCH", "64")), int(os.environ.get("MAX_LEN", "128"))
seed = int(os.environ.get("SEED", "0")); torch.manual_seed(seed); random.seed(seed); torch.set_num_threads(int(os.environ.get("THREADS", "2")))
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."); src = root + "/datasets/models/bert-mini"
tok = BertTokenizer(src + "/vocab.txt", do_lower_case=True)
if os.environ.get("SOURCE") == "random":
    model = BertForMaskedLM(BertForMaskedLM.config_class.from_pretrained(src))
else:
    model = BertForMaskedLM.from_pretrained(src)
pos = model.bert.embeddings.position_embeddings.weight
pos.data *= scale; pos.requires_grad_(not freeze)
docs = [l for l in open(root + "/datasets/corpus/general.txt").read().splitlines() if l.strip()][:-180]
coll = DataCollatorForLanguageModeling(tok, mlm_probability=0.15)
params = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / (0.05 * steps)) * max(0, (steps - s) / steps))
for step in range(steps):
    model.train()
    m = coll([{"input_ids": x} for x in tok(random.sample(docs, batch), truncation=True, max_length=max_len)["input_ids"]])
    loss = model(input_ids=m["input_ids"], attention_mask=(m["input_ids"] != 0).long(), labels=m["labels"]).loss
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); sched.step()
    if step % max(1, steps // 8) == 0: print(step, f"mlm {loss.item():.3f}", flush=True)
print("position norm", pos.norm(dim=1)[:64].mean().item(), "word norm", model.bert.embeddings.word_embeddings.weight.norm(dim=1).mean().item())
model.save_pretrained(out); shutil.copy(src + "/vocab.txt", out)
