"""Prototype (issue 15): a contrastive objective on bert-mini's pooled [CLS] over two halves of one
opinion document (Contriever's and DeCLUTR's positives: two spans of one document; in-batch
negatives, cosine / tau), plus masked LM, continuing datasets/models/bert-mini on
datasets/corpus/opinions.txt (its last 300 documents left out). Each document keeps one stance, so
the stance is what two halves share. Prints a logistic-regression probe of the frozen [CLS] on the
sentiment task before and after. Result in datasets/models/bert-mini/README.md: the loss stayed at
ln 64 (every pair alike) for 300 steps, so the run was stopped.
Usage: python3 scripts/cls_halves_prototype.py STEPS LR OUTPUT_DIR [TAU]
"""
import os, sys, re, random, torch, torch.nn.functional as F, numpy as np
from transformers import BertForPreTraining, BertTokenizer, DataCollatorForLanguageModeling
from transformers.utils import logging; logging.set_verbosity_error()
from sklearn.linear_model import LogisticRegression
steps=int(sys.argv[1]); lr=float(sys.argv[2]); out=sys.argv[3]; tau=float(sys.argv[4]) if len(sys.argv)>4 else 0.05
torch.manual_seed(0); random.seed(0); torch.set_num_threads(1)
root=os.path.join(os.path.dirname(os.path.abspath(__file__)),".."); src=root+"/datasets/models/bert-mini"
tok=BertTokenizer(src+"/vocab.txt",do_lower_case=True); model=BertForPreTraining.from_pretrained(src)
docs=[l for l in open(root+"/datasets/corpus/opinions.txt").read().splitlines() if l.strip()][:-300]
docs=[[s for s in re.split(r"(?<=[.!?])\s+",d) if s] for d in docs]
coll=DataCollatorForLanguageModeling(tok,mlm_probability=0.15)
def rows(path):
    L=[l.split("\t",1) for l in open(path).read().splitlines()[1:]]; return [t for _,t in L],[1 if y=="positive" else 0 for y,_ in L]
def embed(texts):
    model.eval(); outs=[]
    with torch.no_grad():
        for i in range(0,len(texts),64):
            b=tok(texts[i:i+64],padding=True,truncation=True,max_length=64,return_tensors="pt"); o=model.bert(**b)
            outs.append(torch.cat([o.pooler_output,o.last_hidden_state[:,0]],1))
    return torch.cat(outs).numpy()
def probe(tag):
    tx,ty=rows(root+"/datasets/sentiment/train.tsv"); vx,vy=rows(root+"/datasets/sentiment/validation.tsv"); a,b=embed(tx),embed(vx)
    for name,sl in (("pooled cls",slice(0,128)),("cls state",slice(128,256))):
        clf=LogisticRegression(max_iter=3000).fit(a[:,sl],ty); print(f"{tag} probe {name}: train {clf.score(a[:,sl],ty):.3f} val {clf.score(b[:,sl],vy):.3f}",flush=True)
probe("before")
opt=torch.optim.AdamW(model.parameters(),lr=lr,weight_decay=0.01)
sched=torch.optim.lr_scheduler.LambdaLR(opt,lambda s:min(1,(s+1)/(0.05*steps))*max(0,(steps-s)/steps))
B=64
for step in range(steps):
    model.train(); picks=random.sample(docs,B); A=[];Bh=[]
    for d in picks:
        d=d[:]; random.shuffle(d); k=len(d)//2; A.append(" ".join(d[:k])); Bh.append(" ".join(d[k:]))
    ea=tok(A,padding=True,truncation=True,max_length=64,return_tensors="pt"); eb=tok(Bh,padding=True,truncation=True,max_length=64,return_tensors="pt")
    za=model.bert(**ea).pooler_output; zb=model.bert(**eb).pooler_output
    sim=F.cosine_similarity(za.unsqueeze(1),zb.unsqueeze(0),dim=-1)/tau
    cl=(F.cross_entropy(sim,torch.arange(B))+F.cross_entropy(sim.T,torch.arange(B)))/2
    m=coll([{"input_ids":ids} for ids in tok(A+Bh,truncation=True,max_length=64)["input_ids"]])
    mlm=model(input_ids=m["input_ids"],attention_mask=(m["input_ids"]!=0).long()).prediction_logits
    ml=F.cross_entropy(mlm.view(-1,mlm.size(-1)),m["labels"].view(-1),ignore_index=-100)
    loss=cl+ml; opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    if step%max(1,steps//10)==0: print(step,f"contrastive {cl.item():.3f} mlm {ml.item():.3f}",flush=True)
probe("after"); model.save_pretrained(out); tok.save_pretrained(out)
