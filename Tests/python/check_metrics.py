#!/usr/bin/env python3
"""Recompute RMSE and precision@10 of a Projector model independently, with numpy and h5py.

    check_metrics.py MODEL.h5 RATINGS.h5  →  prints {"rmse": …, "precision@10": …} as JSON

Reads only the documented HDF5 formats (projector.model versions 1 and 2, projector.ratings), so
it also proves the files are readable outside Swift. RMSE comes from the rating head (/rating, or
/model in version 1), precision from the ranking head (/ranking when present: factors, ordered
probit factors, dense or sparse item-item; else the rating head). Ordered probit heads
(model_kind ordinal-factors) predict and rank by the expected rating
rating_min + rating_step · Σ_c Φ(user_scale[u] · movie_scale[i] · (η − cut_points[c])). The protocol is evaluate's: predictions clipped to the
rating scale, held-out users/movies unseen in training predicted by the bias baseline
(μ + b_u + b_i, λ = 10, 10 alternating rounds, movies first); ranking over every movie the user
did not rate in training, relevant = held-out rating ≥ 4, ties to the lower movie index,
precision divided by k, users without a relevant held-out rating skipped; a user without
training movies in the model gets the movies with the most training ratings in it (serve's
cold-start answer).

The model may come from other (older) data than the ratings file — the champion the publish
gate re-scores: users and movies are matched by original id; the model scores with its own stored
training history, and every movie the user rated in the ratings file's training side is excluded;
a movie it does not know is never ranked; a held-out pair whose user or movie
it has no training rating for is predicted by the bias baseline of the ratings file's training side.
"""
import json
import sys

import math

import h5py
import numpy as np


def expected_rating(g, eta, pu, pm, lo, step):
    """Ordered probit's link (ordinal-factors): rating_min + rating_step · Σ_c Φ(s_u s_i (η − κ_c))."""
    phi = np.vectorize(lambda x: 0.5 * math.erfc(-x / math.sqrt(2)), otypes=[np.float64])
    s = g["user_scale"][:][pu].astype(np.float64) * g["movie_scale"][:][pm].astype(np.float64)
    eta = np.asarray(eta, dtype=np.float64)
    total = sum(phi(s * (eta - np.float64(cut))) for cut in g["cut_points"][:])
    return (lo + step * total).astype(np.float32)


def main(model_path, ratings_path, k=10, threshold=4.0):
    with h5py.File(ratings_path, "r") as r:
        assert r.attrs["format"] == "projector.ratings" and r.attrs["format_version"] in (1, 2, 3)
        user = r["ratings/user"][:].astype(np.int64)
        movie = r["ratings/movie"][:].astype(np.int64)
        rating = r["ratings/rating"][:]
        test = r["ratings/is_test"][:] == 1
        lo, hi = float(r.attrs["rating_min"]), float(r.attrs["rating_max"])
        step = float(r.attrs["rating_step"])
        n_users, n_movies = int(r.attrs["n_users"]), int(r.attrs["n_movies"])
        data_users, data_movies = r["users/id"][:], r["movies/id"][:]
    with h5py.File(model_path, "r") as m:
        assert m.attrs["format"] == "projector.model" and m.attrs["format_version"] in (1, 2, 3)
        version = m.attrs["format_version"]
        # The rating head: /rating (v2), or /model when that holds factors (v1); none for EASE alone.
        if version == 1:
            v1_kind = m.attrs.get("model_kind", "factors")
            g = m["model"] if v1_kind == "factors" else None
        else:
            g = m["rating"] if "rating" in m else None
        link = None
        if g is not None:
            P = g["user_factors"][:]
            Q = g["movie_factors"][:]
            ub = g["user_bias"][:]
            mb = g["movie_bias"][:]
            gm = np.float32(g.attrs["global_mean"])
            # Ordered probit (ordinal-factors): predictions go through the link.
            ordinal = version >= 2 and g.attrs["model_kind"] == "ordinal-factors"
            link = {name: g[name][:] for name in ("cut_points", "user_scale", "movie_scale")} if ordinal else None
        ptr = m["train/user_ptr"][:]
        train_movies = m["train/movie"][:]
        model_users, model_movies = m["users/id"][:], m["movies/id"][:]
        mu_count, mm_count = len(model_users), len(model_movies)
        # Ranking scores: users × movies.
        if version == 1:
            ranking = m["model"] if v1_kind == "item-item" else None
        else:
            ranking = m["ranking"] if "ranking" in m else None
        # The ranking head's input: each training movie weighs its input_weight (1 when absent).
        weight = ranking["input_weight"][:] if ranking is not None and "input_weight" in ranking else np.ones(len(train_movies), np.float32)
        X = np.zeros((mu_count, mm_count), dtype=np.float32)
        for u in range(mu_count):
            X[u, train_movies[ptr[u]:ptr[u + 1]]] = weight[ptr[u]:ptr[u + 1]]
        kind = ("item-item" if version == 1 else ranking.attrs["model_kind"]) if ranking is not None else "factors"
        if ranking is None and link is not None:
            eta = (gm + ub[:, None] + mb[None, :] + P @ Q.T).astype(np.float32)
            scores = np.stack([expected_rating(link, eta[u], u, np.arange(mm_count), lo, step) for u in range(mu_count)])
        elif ranking is None:
            scores = (P @ Q.T + mb[None, :]).astype(np.float32)
        elif kind == "factors":
            scores = (ranking["user_factors"][:] @ ranking["movie_factors"][:].T + ranking["movie_bias"][:][None, :]).astype(np.float32)
        elif kind == "ordinal-factors":
            eta = (np.float32(ranking.attrs["global_mean"]) + ranking["user_bias"][:][:, None] + ranking["movie_bias"][:][None, :]
                   + ranking["user_factors"][:] @ ranking["movie_factors"][:].T).astype(np.float32)
            scores = np.stack([expected_rating(ranking, eta[u], u, np.arange(mm_count), lo, step) for u in range(mu_count)])
        elif kind == "item-item":
            scores = (X @ ranking["weights"][:]).astype(np.float32)
        else:
            B = np.zeros((mm_count, mm_count), dtype=np.float32)
            row_ptr, column, value = ranking["row_ptr"][:], ranking["column"][:], ranking["value"][:]
            rows = np.repeat(np.arange(mm_count), np.diff(row_ptr))
            B[rows, column] = value
            scores = (X @ B).astype(np.float32)

    tu, tm, tr = user[~test], movie[~test], rating[~test].astype(np.float64)
    hu, hm, hr = user[test], movie[test], rating[test].astype(np.float64)

    # Bias baseline for cold-start pairs.
    mu = tr.mean()
    bu = np.zeros(n_users)
    bi = np.zeros(n_movies)
    lam = 10.0
    for _ in range(10):
        bi = np.bincount(tm, tr - mu - bu[tu], n_movies) / (np.bincount(tm, None, n_movies) + lam)
        bu = np.bincount(tu, tr - mu - bi[tm], n_users) / (np.bincount(tu, None, n_users) + lam)
    # The model's users and movies by original id: data index → model index, or -1.
    def matching(ids, model_ids):
        at = np.minimum(np.searchsorted(model_ids, ids), len(model_ids) - 1)
        return np.where(model_ids[at] == ids, at, -1)
    u_of, m_of = matching(data_users, model_users), matching(data_movies, model_movies)
    m_to = np.full(mm_count, -1)
    m_to[m_of[m_of >= 0]] = np.nonzero(m_of >= 0)[0]
    # The model's training history in the data's index space (entries whose user and movie the data has).
    entry_user = np.repeat(np.arange(mu_count), np.diff(ptr))
    u_to = np.full(mu_count, -1)
    u_to[u_of[u_of >= 0]] = np.nonzero(u_of >= 0)[0]
    keep = (u_to[entry_user] >= 0) & (m_to[train_movies] >= 0)
    history_user, history_movie = u_to[entry_user[keep]], m_to[train_movies[keep]]
    seen_user = np.bincount(history_user, None, n_users) > 0
    seen_movie = np.bincount(history_movie, None, n_movies) > 0
    rmse = None  # no rating head: not applicable
    if g is not None:
        warm = seen_user[hu] & seen_movie[hm]
        pu, pm = np.maximum(u_of[hu], 0), np.maximum(m_of[hm], 0)
        model_pred = gm + ub[pu] + mb[pm] + np.einsum("ij,ij->i", P[pu], Q[pm], dtype=np.float32)
        if link is not None:
            model_pred = expected_rating(link, model_pred.astype(np.float32), pu, pm, lo, step)
        base_pred = (mu + bu[hu] + bi[hm]).astype(np.float32)
        pred = np.clip(np.where(warm, model_pred, base_pred), lo, hi).astype(np.float64)
        rmse = float(np.sqrt(np.mean((pred - hr) ** 2)))
    popularity = np.bincount(history_movie, None, n_movies).astype(np.float32)

    # precision@k over all movies not rated in training.
    relevant = [set() for _ in range(n_users)]
    for u, i, x in zip(hu, hm, hr):
        if x >= threshold:
            relevant[u].add(int(i))
    train_ptr = np.searchsorted(tu, np.arange(n_users + 1))  # the ratings file is sorted by user
    total, users = 0.0, 0
    for u in range(n_users):
        if not relevant[u]:
            continue
        if seen_user[u]:
            s = np.full(n_movies, -np.inf, dtype=np.float32)
            s[m_of >= 0] = scores[u_of[u]][m_of[m_of >= 0]]
        else:
            s = popularity.copy()
        s[tm[train_ptr[u]:train_ptr[u + 1]]] = -np.inf
        s[m_of < 0] = -np.inf
        order = np.argsort(-s, kind="stable")[:k]  # stable: ties keep the lower index first
        total += len(relevant[u].intersection(order.tolist())) / k
        users += 1
    print(json.dumps({"rmse": rmse, f"precision@{k}": total / users, "users": users}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
