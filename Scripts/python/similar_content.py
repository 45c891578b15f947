#!/usr/bin/env python3
"""'Movies like this one' measured on held-out ratings: for a user who liked movie s in training
(rating >= 4), the share of s's 10 neighbours the user likes among their held-out ratings —
precision@10 of the list as a next-like predictor — by how many training ratings s has. Lists: the
model's stored neighbours (what `similar` served for every rated movie before), content alone (the
cosine of ContentFeatures' binary vectors — genres, decade, five-year span, year, title words —
rebuilt here in numpy; tags are not read), and blends of the two (alpha x stored score / the
movie's best + (1 - alpha) x cosine). The table behind ContentNeighbours.ratingsNeeded. Usage:
similar_content.py MODEL.h5 RATINGS.h5 (a model and its ratings file, the default split)."""
import h5py, numpy as np, re, sys
from scipy import sparse
f = h5py.File(sys.argv[1], "r"); d = h5py.File(sys.argv[2], "r")
idx, score = f["neighbours/index"][:], f["neighbours/score"][:]
m = idx.shape[0]
genres = [g.decode() for g in f["movies/genres"][:]]; titles = [t.decode() for t in f["movies/title"][:]]; years = f["movies/year"][:]
u, mv, y, t = d["ratings/user"][:], d["ratings/movie"][:], d["ratings/rating"][:], d["ratings/is_test"][:]
nu = int(u.max()) + 1
train = t == 0; test = t == 1
counts = np.bincount(mv[train], minlength=m)
S = sparse.csr_matrix((np.ones((train & (y >= 4)).sum()), (u[train & (y >= 4)], mv[train & (y >= 4)])), shape=(nu, m))
T = sparse.csr_matrix((np.ones((test & (y >= 4)).sum()), (u[test & (y >= 4)], mv[test & (y >= 4)])), shape=(nu, m))
has_target = np.asarray(T.sum(1)).ravel() > 0
S = sparse.diags(has_target.astype(float)) @ S
C = (S.T @ T).tocsr()                       # C[s, t]: users who liked s in training and t held out
pairs = np.asarray(S.sum(0)).ravel()        # users who liked s in training (with a target)
STOP = {"the", "a", "an", "of", "and", "in", "to", "on", "for", "with", "at", "from", "by", "la", "le", "les", "de", "des", "du", "el", "los", "das", "der", "die", "und"}
def features(i):
    # ContentFeatures' terms: genres, decade, five-year span, year, title words (binary, L2-normalised).
    text = re.sub(r"\(\d{4}\)\s*$", "", titles[i].lower())
    words = [w for w in re.split(r"[^\w']+", text) if len(w) > 1 and w not in STOP]
    fs = ["g:" + g for g in genres[i].split("|") if g]
    if years[i] > 0: fs += ["d:%d" % (years[i] // 10 * 10), "s:%d" % (years[i] // 5 * 5), "y:%d" % years[i]]
    return fs + ["w:" + w for w in words]
terms = [set(features(i)) for i in range(m)]
from collections import Counter
freq = Counter(x for ts in terms for x in ts)
vocab = {x: k for k, x in enumerate(sorted(x for x, c in freq.items() if c >= 2))}
rows, cols = [], []
for i, ts in enumerate(terms):
    for x in ts:
        if x in vocab: rows.append(i); cols.append(vocab[x])
X = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(m, len(vocab)))
X = sparse.diags(1 / np.maximum(np.sqrt(np.asarray(X.sum(1)).ravel()), 1e-12)) @ X
cos = (X @ X.T).toarray(); np.fill_diagonal(cos, -1)
def lists(alpha):
    """Top 10 by alpha * (stored score / the movie's best stored score) + (1 - alpha) * content cosine."""
    out = np.zeros((m, 10), dtype=np.int64)
    for s in range(m):
        best = score[s][idx[s] >= 0].max() if (idx[s] >= 0).any() else 1.0
        cf = {int(j): (w / best if best > 0 else 0.0) for j, w in zip(idx[s], score[s]) if j >= 0 and j != s}
        top_c = np.argpartition(-cos[s], 50)[:50]
        cand = {j: alpha * cf.get(j, 0.0) + (1 - alpha) * cos[s, j] for j in set(cf) | {int(x) for x in top_c if x != s}}
        ranked = sorted(cand, key=lambda j: (-cand[j], j))[:10]
        out[s, :len(ranked)] = ranked
    return out
def precision(L, members):
    hits = np.array([C[s, L[s]].sum() for s in range(m)]); n = pairs
    sel = members & (n > 0)
    return hits[sel].sum() / (10 * n[sel].sum()), int(n[sel].sum())
buckets = [("1-4", (counts >= 1) & (counts <= 4)), ("5-19", (counts >= 5) & (counts <= 19)), ("20-99", (counts >= 20) & (counts <= 99)), ("100+", counts >= 100), ("all", counts >= 1)]
print("| seed's training ratings | pairs | " + " | ".join(["stored (alpha 1)", "0.75", "0.5", "0.25", "content (alpha 0)"]) + " |")
print("|---|---|---|---|---|---|---|")
L = {a: lists(a) for a in (1.0, 0.75, 0.5, 0.25, 0.0)}
for name, sel in buckets:
    vals = [precision(L[a], sel) for a in (1.0, 0.75, 0.5, 0.25, 0.0)]
    print("| %s | %d | " % (name, vals[0][1]) + " | ".join("%.4f" % v[0] for v in vals) + " |")
