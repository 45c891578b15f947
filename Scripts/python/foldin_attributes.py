#!/usr/bin/env python3
"""What a person's attributes are worth in fold-in, by history size: RMSE on the new-users targets
with and without them, from the model file and the ratings file alone (numpy, independent of the
Swift code). Usage: foldin_attributes.py MODEL.h5 RATINGS.h5 (a new-users split: ingest --split new-users).
"""
import h5py, numpy as np, sys
model, data = sys.argv[1], sys.argv[2]
f = h5py.File(model, "r"); r = f["rating"]
Q = r["movie_factors"][:].astype(np.float64); c = r["movie_bias"][:].astype(np.float64); mu = float(r.attrs["global_mean"])
fi = r["fold_in"]; m0 = fi["prior_mean"][:]; S = fi["prior_covariance"][:]; s2 = float(fi.attrs["noise_variance"])
groups = [g.decode() for g in fi["attribute_group"][:]]; values = [v.decode() for v in fi["attribute_value"][:]]; W = fi["attribute_offset"][:]
lo, hi = float(f.attrs["rating_min"]), float(f.attrs["rating_max"])
known, V = (fi["implicit_movie"][:], fi["implicit_offset"][:]) if "implicit_movie" in fi else (None, None)
d = h5py.File(data, "r")
u, mv, y, t = d["ratings/user"][:], d["ratings/movie"][:], d["ratings/rating"][:].astype(np.float64), d["ratings/is_test"][:]
gender = [g.decode() for g in d["users/gender"][:]]; age = d["users/age"][:]; occ = [o.decode() for o in d["users/occupation"][:]]; zips = [z.decode() for z in d["users/zip"][:]]
def group(a):
    if a <= 0: return None
    for g in (56, 50, 45, 35, 25, 18):
        if a >= g: return str(g)
    return "1"
def attrs(i):
    v = {"gender": gender[i] or None, "age": group(int(age[i])), "occupation": occ[i] or None, "zip": zips[i][:1] or None}
    return {k: x for k, x in v.items() if x is not None}
X1 = np.hstack([np.ones((Q.shape[0], 1)), Q])
# A target movie without training ratings gets the content baseline's stars (/cold_movies), as in fold-in.
trained = np.bincount(f["train/movie"][:], minlength=Q.shape[0]) > 0
cold = f["cold_movies"] if "cold_movies" in f else None
movie_genres = [g.decode().split("|") for g in f["movies/genres"][:]]
def cold_stars(movies, ratings, i):
    cmu, term = np.float32(cold.attrs["global_mean"]), cold["movie_term"][:]
    ratings = np.asarray(ratings, dtype=np.float32)
    b = np.float32((ratings - cmu).sum(dtype=np.float32) / np.float32(len(ratings) + 10)) if len(ratings) else np.float32(0)
    sums = {}
    for j, r in zip(movies, ratings):
        for g in movie_genres[j]:
            if g: total, count = sums.get(g, (0.0, 0)); sums[g] = (total + float(r - cmu - b - term[j]), count + 1)
    mine = [g for g in movie_genres[i] if g]
    affinity = np.mean([sums[g][0] / (sums[g][1] + 10) if g in sums else 0.0 for g in mine]) if mine else 0.0
    return float(np.clip(np.float32(cmu + b + term[i] + affinity), lo, hi))
rng = np.random.default_rng(0)
for n in [0, 1, 3, 5, 10, 20, None]:
    se = {True: 0.0, False: 0.0}; count = 0
    for user in np.unique(u[t > 0]):
        hist = np.where((u == user) & (t == 2))[0]; targ = np.where((u == user) & (t == 1))[0]
        if len(targ) == 0: continue
        if n is not None: hist = hist[rng.permutation(len(hist))[:n]] if len(hist) > n else hist
        a = attrs(user)
        for use in (True, False):
            m = m0.copy()
            if use:
                for k, (g, v) in enumerate(zip(groups, values)):
                    if a.get(g) == v: m += W[k]
            if "implicit_movie" in fi and len(hist):  # the rated movies' offsets, as fold-in adds them
                for j in sorted(mv[hist]):
                    row = int(np.searchsorted(known, j))
                    if row < len(known) and known[row] == j: m += V[row].astype(np.float64) * (1 / np.sqrt(len(hist)))
            X = X1[mv[hist]]
            e = y[hist] - mu - c[mv[hist]] - X @ m
            z = m + (S @ X.T @ np.linalg.solve(s2 * np.eye(len(hist)) + X @ S @ X.T, e)) if len(hist) else m
            p = np.clip(mu + c[mv[targ]] + X1[mv[targ]] @ z, lo, hi)
            if cold is not None:
                order = np.argsort(mv[hist], kind="stable")
                for k, i in enumerate(mv[targ]):
                    if not trained[i]: p[k] = cold_stars(mv[hist][order], y[hist][order], i)
            se[use] += float(((p - y[targ]) ** 2).sum())
        count += len(targ)
    print(f"history {'all' if n is None else n:>3}: RMSE with attributes {np.sqrt(se[True]/count):.6f}, without {np.sqrt(se[False]/count):.6f}")
