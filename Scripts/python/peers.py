#!/usr/bin/env python3
"""The Python peers `Scripts/bench --peers` measures Projector against, one task per run.

    peers.py ease RATINGS.h5 [--lambda 1500]        numpy float32 EASE (sparse Gram + np.linalg.inv)
    peers.py surprise-svd RATINGS.h5 [--seed 42]    Surprise's SVD (k 50, 50 epochs, reg 0.05)
    peers.py pandas-ingest RATINGS.dat              pandas' C parser on a MovieLens '::' file
    peers.py ease-new-users RATINGS.h5              numpy EASE (Steck 2019) on ratings >= 4 binarised, under the
                                                    new-users protocol (strong generalisation): each lambda of
                                                    200, 500, 1000, 2000, the best by NDCG@100 on the targets;
                                                    also the popularity ranking, computed independently of evaluate
    peers.py lightfm-cold-start RATINGS.h5          LightFM (WARP, 64 factors, 30 epochs, seed 42; genre and decade
                                                    item features) under the new-movies protocol (item cold start):
                                                    per-user AUC and precision@10 over the cold movies; also the
                                                    genre-mean RMSE baseline, computed independently of evaluate
    peers.py myfm RATINGS.h5 [--rank 32 --burn-in 30 --samples 400 --implicit both --user-attributes all
                              --day --ordinal]
                                                    myFM's Gibbs-sampled FM, "SVD++ flipped"
                                                    relation blocks (Rendle, Zhang & Koren 2019);
                                                    --day --ordinal --user-attributes none: its
                                                    best on our split, timeSVD++ flipped with
                                                    ordered probit (each rating's day one-hot)

Each prints one JSON line: {"task", "seconds", ...}. `seconds` times only the peer's own work
(the fit, or the parse), measured in-process after the data is in memory and the imports are
done, so the comparison is as favourable to the peer as it can be. The training and held-out
ratings come from Projector's own `projector.ratings` file (h5py), so both sides see one split.
"""
import argparse
import json
import time

import numpy as np


def load_split(path):
    import h5py
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "projector.ratings" and int(f.attrs["format_version"]) in (1, 2, 3), path
        user = f["ratings/user"][:]
        movie = f["ratings/movie"][:]
        rating = f["ratings/rating"][:]
        # 0 training, 1 held out, 2 a new user's history (new-users split): neither side here.
        role = f["ratings/is_test"][:]
        assert role.max() <= 1, "%s: a new-users split; load_split takes training and held-out ratings only" % path
        test = role == 1
        shape = (int(f.attrs["n_users"]), int(f.attrs["n_movies"]))
        lo, hi = float(f.attrs["rating_min"]), float(f.attrs["rating_max"])
    return user, movie, rating, test, shape, (lo, hi)


def ease(args):
    import scipy.sparse as sp
    user, movie, _, test, shape, _ = load_split(args.data)
    train = ~test
    start = time.perf_counter()
    x = sp.csr_matrix((np.ones(int(train.sum()), dtype=np.float32), (user[train], movie[train])), shape=shape)
    g = (x.T @ x).toarray()
    g[np.diag_indices_from(g)] += np.float32(args.lam)
    p = np.linalg.inv(g)
    b = p / (-np.diag(p))
    b[np.diag_indices_from(b)] = 0
    seconds = time.perf_counter() - start
    return {"task": "ease", "seconds": seconds, "dtype": str(b.dtype), "movies": shape[1]}


def ease_new_users(args):
    """Strong generalisation as Liang et al. 2018 / Steck 2019 run it: X = training users' ratings
    >= 4 as 1; a test user's history (is_test 2) ratings >= 4 are their input row, every movie of
    the history is excluded, relevant = targets (is_test 1) >= 4; Recall@k = hits / min(k, relevant)."""
    import h5py
    import scipy.sparse as sp
    with h5py.File(args.data, "r") as f:
        assert f.attrs["format"] == "projector.ratings" and f.attrs["split"] == "new-users", args.data
        user, movie = f["ratings/user"][:], f["ratings/movie"][:]
        rating, role = f["ratings/rating"][:], f["ratings/is_test"][:]
        shape = (int(f.attrs["n_users"]), int(f.attrs["n_movies"]))
    liked = rating >= 4
    train = (role == 0) & liked
    x = sp.csr_matrix((np.ones(int(train.sum()), dtype=np.float32), (user[train], movie[train])), shape=shape)
    history = role == 2
    h_all = sp.csr_matrix((np.ones(int(history.sum()), dtype=np.float32), (user[history], movie[history])), shape=shape)
    h_liked = sp.csr_matrix((np.ones(int((history & liked).sum()), dtype=np.float32), (user[history & liked], movie[history & liked])), shape=shape)
    targets = (role == 1) & liked
    relevant = {}
    for u, m in zip(user[targets], movie[targets]):
        relevant.setdefault(int(u), set()).add(int(m))
    users = sorted(relevant)
    counts = np.asarray(sp.csr_matrix((np.ones(int((role == 0).sum())), (user[role == 0], movie[role == 0])), shape=shape).sum(axis=0)).ravel()

    def measure(scores_of):
        recall20 = recall50 = ndcg = 0.0
        discounts = 1 / np.log2(np.arange(2, 102))
        for u in users:
            scores = scores_of(u).astype(np.float64)
            scores[h_all[u].indices] = -np.inf
            # ties to the lower movie index, as evaluate: stable sort on the negated scores
            top = np.argsort(-scores, kind="stable")[:100]
            rel = relevant[u]
            hits = np.array([m in rel for m in top])
            recall20 += hits[:20].sum() / min(20, len(rel))
            recall50 += hits[:50].sum() / min(50, len(rel))
            ndcg += (hits * discounts).sum() / discounts[:min(100, len(rel))].sum()
        n = len(users)
        return {"recall@20": recall20 / n, "recall@50": recall50 / n, "ndcg@100": ndcg / n}

    start = time.perf_counter()
    g0 = (x.T @ x).toarray().astype(np.float64)
    results = {}
    for lam in (200, 500, 1000, 2000):
        g = g0.copy()
        g[np.diag_indices_from(g)] += lam
        p = np.linalg.inv(g)
        b = p / (-np.diag(p))
        b[np.diag_indices_from(b)] = 0
        rows = h_liked @ b
        results[lam] = measure(lambda u: np.asarray(rows[u]).ravel())
    seconds = time.perf_counter() - start
    best = max(results, key=lambda lam: results[lam]["ndcg@100"])
    popularity = measure(lambda u: counts.copy())
    return {"task": "ease-new-users", "seconds": seconds, "users": len(users), "best_lambda": best,
            **{k: results[best][k] for k in ("recall@20", "recall@50", "ndcg@100")},
            "by_lambda": {str(k): v for k, v in results.items()}, "popularity": popularity}


def lightfm_cold_start(args):
    """Item cold start as the LightFM paper runs it: trained on the training ratings >= 4 (as 1),
    the movies described by genre and decade features only (a cold movie has no trained identity);
    per user with a held-out rating >= 4, the cold movies ranked: AUC (ties 1/2) and precision@10."""
    import h5py
    import scipy.sparse as sp
    from scipy.stats import rankdata
    from lightfm import LightFM
    with h5py.File(args.data, "r") as f:
        assert f.attrs["format"] == "projector.ratings" and f.attrs["split"] == "new-movies", args.data
        user, movie = f["ratings/user"][:], f["ratings/movie"][:]
        rating, role = f["ratings/rating"][:], f["ratings/is_test"][:]
        n, m = int(f.attrs["n_users"]), int(f.attrs["n_movies"])
        genres, years = f["movies/genres"].asstr()[:], f["movies/year"][:]
        lo, hi = float(f.attrs["rating_min"]), float(f.attrs["rating_max"])
    train, held = role == 0, role == 1
    # Cold: held-out ratings and none in training (a catalogue movie nobody rated is not part of the protocol).
    cold = np.flatnonzero((np.bincount(movie[train], minlength=m) == 0) & (np.bincount(movie[held], minlength=m) > 0))
    names = sorted({"genre:" + g for gs in genres for g in gs.split("|") if g} | {"decade:%d" % (y // 10 * 10) for y in years})
    index = {name: k for k, name in enumerate(names)}
    rows, cols = [], []
    for i in range(m):
        for name in ["genre:" + g for g in genres[i].split("|") if g] + ["decade:%d" % (years[i] // 10 * 10)]:
            rows.append(i); cols.append(index[name])
    features = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(m, len(names)))
    liked = train & (rating >= 4)
    interactions = sp.coo_matrix((np.ones(int(liked.sum()), dtype=np.float32), (user[liked], movie[liked])), shape=(n, m))
    start = time.perf_counter()
    model = LightFM(no_components=64, loss="warp", random_state=42)
    model.fit(interactions, item_features=features, epochs=30, num_threads=1)
    seconds = time.perf_counter() - start
    positives = {}
    for u, i, r in zip(user[held], movie[held], rating[held]):
        if r >= 4:
            positives.setdefault(int(u), set()).add(int(i))
    aucs, precisions = [], []
    for u in sorted(positives):
        scores = model.predict(np.full(len(cold), u, dtype=np.int32), cold.astype(np.int32), item_features=features, num_threads=1)
        label = np.array([c in positives[u] for c in cold])
        p, q = label.sum(), len(label) - label.sum()
        if p == 0 or q == 0:
            continue
        aucs.append((rankdata(scores)[label].sum() - p * (p + 1) / 2) / (p * q))
        precisions.append(label[np.lexsort((cold, -scores))[:10]].mean())
    # The genre-mean RMSE baseline: global mean + user bias (lambda 10) + the mean of the movie's
    # genres' mean residuals, each shrunk by 100 pseudo-ratings.
    mu = rating[train].mean(dtype=np.float64)
    bias = np.bincount(user[train], weights=rating[train] - mu, minlength=n) / (np.bincount(user[train], minlength=n) + 10)
    residual = rating[train] - mu - bias[user[train]]
    sums, counts = {}, {}
    for i, r in zip(movie[train], residual):
        for g in genres[i].split("|"):
            if g:
                sums[g] = sums.get(g, 0.0) + r; counts[g] = counts.get(g, 0) + 1
    term = np.array([np.mean([sums.get(g, 0.0) / (counts.get(g, 0) + 100) for g in gs.split("|") if g]) if gs else 0.0 for gs in genres])
    predicted = np.clip(mu + bias[user[held]] + term[movie[held]], lo, hi)
    rmse = float(np.sqrt(np.mean(np.square(predicted - rating[held]))))
    return {"task": "lightfm-cold-start", "seconds": seconds, "users": len(aucs), "cold_movies": len(cold),
            "auc": float(np.mean(aucs)), "precision@10": float(np.mean(precisions)), "genre_mean_rmse": rmse}


def surprise_svd(args):
    import pandas as pd
    from surprise import SVD, Dataset, Reader
    user, movie, rating, test, _, (lo, hi) = load_split(args.data)
    train = ~test
    frame = pd.DataFrame({"u": user[train], "i": movie[train], "r": rating[train]})
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=(lo, hi))).build_full_trainset()
    algo = SVD(n_factors=50, n_epochs=50, reg_all=0.05, random_state=args.seed)
    start = time.perf_counter()
    algo.fit(trainset)
    seconds = time.perf_counter() - start
    errors = [algo.predict(u, i).est - r for u, i, r in zip(user[test].tolist(), movie[test].tolist(), rating[test].tolist())]
    rmse = float(np.sqrt(np.mean(np.square(errors))))
    return {"task": "surprise-svd", "seconds": seconds, "rmse": rmse}


def pandas_ingest(args):
    import pandas as pd
    start = time.perf_counter()
    frame = pd.read_csv(args.data, sep=":", header=None, usecols=[0, 2, 4, 6])
    seconds = time.perf_counter() - start
    return {"task": "pandas-ingest", "seconds": seconds, "rows": len(frame)}


def myfm_svdpp_flipped(args):
    """myFM on the same blocks as Projector's bayesian-fm: per user its id and the movies it
    rated in training (1/sqrt(n)) and (by default) its gender, age group, occupation and zip
    region, per movie its id and its training raters (1/sqrt(n)); one prior group per feature
    group; burn-in sweeps then `samples` kept (all averaged)."""
    import myfm
    import scipy.sparse as sps
    user, movie, rating, test, (n_users, n_movies), (lo, hi) = load_split(args.data)
    train = ~test

    def block(entity, partner, n_entities, n_partners, implicit):
        counts = np.bincount(entity[train], minlength=n_entities).astype(np.float64)
        ident = sps.identity(n_entities, format="csr", dtype=np.float64)
        if not implicit:
            return ident, [n_entities]
        weight = 1 / np.sqrt(np.maximum(counts, 1))
        rated = sps.csr_matrix((weight[entity[train]], (entity[train], partner[train])), shape=(n_entities, n_partners))
        return sps.hstack([ident, rated], format="csr"), [n_entities, n_partners]

    user_data, user_groups = block(user, movie, n_users, n_movies, args.implicit in ("both", "users"))
    if args.user_attributes == "all":
        # The users' gender, age group, occupation and zip region, one-hot, x = 1, one group each
        # (as bayesian-fm's --user-attributes all; unknown values have no feature).
        import h5py
        with h5py.File(args.data, "r") as f:
            assert "users/gender" in f, "a projector.ratings version-2 file with the users' attributes is needed"
            age = f["users/age"][:]
            groups = [f["users/gender"].asstr()[:],
                      np.array([next((str(g) for g in (56, 50, 45, 35, 25, 18) if a >= g), "1") if a > 0 else "" for a in age]),
                      f["users/occupation"].asstr()[:], np.array([z[:1] for z in f["users/zip"].asstr()[:]])]
        blocks = [user_data]
        for values in groups:
            vocabulary = sorted(set(values) - {""})
            index = {v: i for i, v in enumerate(vocabulary)}
            rows = [u for u in range(n_users) if values[u] != ""]
            blocks.append(sps.csr_matrix((np.ones(len(rows)), (rows, [index[values[u]] for u in rows])), shape=(n_users, len(vocabulary))))
            user_groups = user_groups + [len(vocabulary)]
        user_data = sps.hstack(blocks, format="csr")
    movie_data, movie_groups = block(movie, user, n_movies, n_users, args.implicit in ("both", "movies"))
    mean = float(rating[train].mean())
    if args.day:
        # Each rating's UTC day, one-hot (a day only in held-out ratings has no feature), as the
        # rows' own features: the "time" of timeSVD++ flipped.
        import h5py
        with h5py.File(args.data, "r") as f:
            day = f["ratings/timestamp"][:] // 86_400
        days = {d: i for i, d in enumerate(np.unique(day[train]))}
        def day_rows(mask):
            columns = np.array([days.get(d, -1) for d in day[mask]])
            rows = np.nonzero(columns >= 0)[0]
            return sps.csr_matrix((np.ones(len(rows)), (rows, columns[rows])), shape=(int(mask.sum()), len(days)))
        x_train, x_test, groups = day_rows(train), day_rows(test), [len(days)]
    else:
        x_train, x_test, groups = sps.csr_matrix((int(train.sum()), 0)), sps.csr_matrix((int(test.sum()), 0)), []
    rel_train = [myfm.RelationBlock(user[train], user_data), myfm.RelationBlock(movie[train], movie_data)]
    rel_test = [myfm.RelationBlock(user[test], user_data), myfm.RelationBlock(movie[test], movie_data)]
    if args.ordinal:
        # Ordered probit over the classes 0..4 (stars − 1); predicted: the expected stars.
        fm = myfm.MyFMOrderedProbit(rank=args.rank, random_seed=args.seed)
        start = time.perf_counter()
        fm.fit(x_train, (rating[train] - lo).astype(np.int64), X_rel=rel_train, n_iter=args.burn_in + args.samples,
               n_kept_samples=args.samples, group_shapes=groups + user_groups + movie_groups)
        seconds = time.perf_counter() - start
        probabilities = fm.predict_proba(x_test, X_rel=rel_test)
        predicted = lo + probabilities @ np.arange(probabilities.shape[1])
    else:
        fm = myfm.MyFMRegressor(rank=args.rank, random_seed=args.seed)
        start = time.perf_counter()
        fm.fit(x_train, rating[train] - mean, X_rel=rel_train, n_iter=args.burn_in + args.samples,
               n_kept_samples=args.samples, group_shapes=groups + user_groups + movie_groups)
        seconds = time.perf_counter() - start
        predicted = mean + fm.predict(x_test, X_rel=rel_test)
    rmse = float(np.sqrt(np.mean(np.square(np.clip(predicted, lo, hi) - rating[test]))))
    return {"task": "myfm", "seconds": seconds, "rmse": rmse, "rank": args.rank, "burn_in": args.burn_in,
            "samples": args.samples, "implicit": args.implicit, "user_attributes": args.user_attributes, "day": args.day,
            "ordinal": args.ordinal, "version": myfm.__version__}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=["ease", "ease-new-users", "lightfm-cold-start", "surprise-svd", "pandas-ingest", "myfm"])
    parser.add_argument("data")
    parser.add_argument("--lambda", dest="lam", type=float, default=1500)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rank", type=int, default=32)
    parser.add_argument("--burn-in", type=int, default=30)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--implicit", choices=["both", "users", "movies", "none"], default="both")
    parser.add_argument("--user-attributes", choices=["all", "none"], default="all")
    parser.add_argument("--day", action="store_true", help="myfm: each rating's day, one-hot")
    parser.add_argument("--ordinal", action="store_true", help="myfm: ordered probit (expected stars)")
    args = parser.parse_args()
    result = {"ease": ease, "ease-new-users": ease_new_users, "lightfm-cold-start": lightfm_cold_start, "surprise-svd": surprise_svd, "pandas-ingest": pandas_ingest,
              "myfm": myfm_svdpp_flipped}[args.task](args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
