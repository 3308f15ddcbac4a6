"""bert-mini fine-tuned on the sentiment task in transformers with Lesson 5's recipe, [CLS] or mean pooling.

Checks that the kit's [CLS] failure is the model's, not the kit's: transformers'
BertForSequenceClassification, AdamW lr 1e-3 (no decay on biases and LayerNorm weights, 0.01 on the
rest), linear schedule with 10% warm-up, batch 32, 6 epochs, max length 64, clipping at 1.0. Prints
training loss, validation accuracy and the mean gradient norm reaching the last layer's query weight.
Usage: python3 scripts/cls_pooling_finetune_pytorch.py SEED cls|mean [CHECKPOINT]
"""
import os, sys, torch, random, numpy as np
from transformers import BertForSequenceClassification, BertTokenizer, get_linear_schedule_with_warmup
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
seed = int(sys.argv[1]); pooling = sys.argv[2]; path = sys.argv[3] if len(sys.argv) > 3 else ROOT + "/datasets/models/bert-mini"
torch.manual_seed(seed); random.seed(seed); torch.set_num_threads(1)
tok = BertTokenizer(ROOT + "/datasets/models/bert-mini/vocab.txt", do_lower_case=True)
model = BertForSequenceClassification.from_pretrained(path, num_labels=2)
def rows(p):
    L = [l.split("\t", 1) for l in open(p).read().splitlines()[1:]]
    return [t for _, t in L], torch.tensor([1 if y == "positive" else 0 for y, _ in L])
tx, ty = rows(ROOT + "/datasets/sentiment/train.tsv"); vx, vy = rows(ROOT + "/datasets/sentiment/validation.tsv")
def forward(texts):
    b = tok(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
    if pooling == "cls": return model(**b).logits
    h = model.bert(**b).last_hidden_state; m = b["attention_mask"].unsqueeze(-1).float()
    return model.classifier(model.dropout(model.bert.pooler.activation(model.bert.pooler.dense((h * m).sum(1) / m.sum(1)))))
nd = ["bias", "LayerNorm.weight"]
groups = [{"params": [p for n, p in model.named_parameters() if not any(x in n for x in nd)], "weight_decay": 0.01},
          {"params": [p for n, p in model.named_parameters() if any(x in n for x in nd)], "weight_decay": 0.0}]
opt = torch.optim.AdamW(groups, lr=1e-3); steps = 6 * 25
sch = get_linear_schedule_with_warmup(opt, int(0.1 * steps + 0.999), steps)
q = model.bert.encoder.layer[-1].attention.self.query.weight
for ep in range(6):
    model.train(); perm = torch.randperm(len(tx)).tolist(); losses = []; gq = []
    for i in range(0, len(tx), 32):
        idx = perm[i:i+32]
        loss = torch.nn.functional.cross_entropy(forward([tx[j] for j in idx]), ty[idx])
        opt.zero_grad(); loss.backward(); gq.append(q.grad.norm().item())
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); sch.step(); losses.append(loss.item())
    model.eval()
    with torch.no_grad(): acc = (forward(vx).argmax(-1) == vy).float().mean().item()
    print(f"{pooling} seed {seed} epoch {ep+1} train loss {np.mean(losses):.3f} val acc {acc:.3f} |grad q last| {np.mean(gq):.2e}", flush=True)
