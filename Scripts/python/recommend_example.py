#!/usr/bin/env python3
"""Load a published Projector model with h5py and answer recommend(user, k) and predict(user,
movie) as the Swift ProjectorClient library (and the `recommend` executable) does: the same movies,
scores and ratings to float32 rounding (numpy sums in another order than BLAS, so two movies
whose scores tie to the last bit may swap).

    recommend_example.py STORE NAME[@VERSION|@ALIAS] user USER_ID [K]
    recommend_example.py STORE NAME[@VERSION|@ALIAS] predict USER_ID MOVIE_ID

Prints one JSON object, with the keys of `recommend --json`:
  user:    {"model", "version", "user", "cold_start", "items": [{"movie_id", "title", "year", "genres", "score"}]}
  predict: {"model", "version", "user", "movie": {"movie_id", "title", "year", "genres", "score"}, "rating", "cold_start", "basis"}

The steps, all on documented files (see the README's formats):
1. resolve the alias file <store>/<name>/aliases/<alias>.json to a version;
2. check model.h5 against the sha256 in manifest.json;
3. recommend, from the ranking head (/ranking, else /rating): factors score = movie_bias +
   user_factors[u] · movie_factors; ordinal-factors the expected rating (step 4's link);
   item-item (EASE) score = Σ w_j weights[j] over the user's
   training movies j (w_j = the head's input_weight, 1 when absent); sparse-item-item the same sum
   over the kept entries (row_ptr/column/value);
   drop the user's training movies, take the k best, ties to the lower movie index; a user with
   no training ratings gets the most-rated movies (cold start);
4. predict, from the rating head (/rating): clip(η), η = global_mean + user_bias[u] +
   movie_bias[i] + user_factors[u] · movie_factors[i]; under ordered probit (model_kind
   ordinal-factors) the expected rating rating_min + rating_step · Σ_c Φ(user_scale[u] ·
   movie_scale[i] · (η − cut_points[c])); an unknown user gets global_mean + movie_bias[i], a
   movie without training ratings global_mean + user_bias[u] (flagged cold_start).
Version-1 files (one model in /model, attributes at the root) are read too.
"""
import hashlib
import json
import math
import sys

import h5py
import numpy as np


def open_model(store, reference):
    name, _, selector = reference.partition("@")
    selector = selector or "production"
    if selector.isdigit():
        version = int(selector)
    else:
        with open(f"{store}/{name}/aliases/{selector}.json") as f:
            version = json.load(f)["version"]
    folder = f"{store}/{name}/{version}"
    with open(f"{folder}/manifest.json") as f:
        manifest = json.load(f)
    digest = hashlib.sha256()
    with open(f"{folder}/model.h5", "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != manifest["sha256"]:
        raise SystemExit(f"{folder}/model.h5 fails its checksum: refusing to use it")
    model = h5py.File(f"{folder}/model.h5", "r")
    if model.attrs["format"] != "projector.model" or model.attrs["format_version"] not in (1, 2):
        raise SystemExit(f"{folder}/model.h5 is not a projector.model version 1 or 2")
    return model, name, version


def expected_rating(model, group, eta, u, movies):
    """Ordered probit's link (ordinal-factors): rating_min + rating_step · Σ_c Φ(s_u s_i (η − κ_c))."""
    phi = np.vectorize(lambda x: 0.5 * math.erfc(-x / math.sqrt(2)), otypes=[np.float64])
    s = np.float64(group["user_scale"][u]) * group["movie_scale"][movies].astype(np.float64)
    eta = np.asarray(eta, dtype=np.float64)
    total = sum(phi(s * (eta - np.float64(cut))) for cut in group["cut_points"][:])
    return (model.attrs["rating_min"] + model.attrs["rating_step"] * total).astype(np.float32)


def heads(model):
    """(rating head, ranking head) as (group, kind, rank-holder) tuples; None where absent."""
    if model.attrs["format_version"] == 1:
        kind = model.attrs.get("model_kind", "factors")
        head = (model["model"], kind, model)
        return (head if kind == "factors" else None), head
    rating = (model["rating"], model["rating"].attrs["model_kind"], model["rating"]) if "rating" in model else None
    ranking = (model["ranking"], model["ranking"].attrs["model_kind"], model["ranking"]) if "ranking" in model else rating
    return rating, ranking


def training(model):
    return model["train/user_ptr"][:], model["train/movie"][:]


def known_user(model, user_id):
    user_ids = model["users/id"][:]
    ptr, _ = training(model)
    position = int(np.searchsorted(user_ids, user_id))
    if position < len(user_ids) and user_ids[position] == user_id and ptr[position + 1] > ptr[position]:
        return position
    return None


def item(model, movie, score):
    genres = model["movies/genres"][movie].decode()
    return {"movie_id": int(model["movies/id"][movie]), "title": model["movies/title"][movie].decode(),
            "year": int(model["movies/year"][movie]), "genres": genres.split("|") if genres else [],
            "score": float(np.float32(score))}


def recommend(model, user_id, k):
    ptr, train = training(model)
    m = len(model["movies/id"])
    u = known_user(model, user_id)
    if u is None:
        counts = np.bincount(train, minlength=m).astype(np.float32)
        order = np.argsort(-counts, kind="stable")[:k]
        return True, [item(model, i, counts[i]) for i in order]
    seen = train[ptr[u]:ptr[u + 1]]
    group, kind, _ = heads(model)[1]
    # Each training movie's input weight (EASE's liked weights), 1 when the head stores none.
    weight = group["input_weight"][ptr[u]:ptr[u + 1]] if "input_weight" in group else np.ones(len(seen), np.float32)
    if kind == "item-item":
        scores = (weight[:, None] * group["weights"][:][seen]).sum(axis=0, dtype=np.float32)
    elif kind == "sparse-item-item":
        row_ptr, column, value = group["row_ptr"][:], group["column"][:], group["value"][:]
        scores = np.zeros(m, dtype=np.float32)
        for j, w in zip(seen, weight):
            np.add.at(scores, column[row_ptr[j]:row_ptr[j + 1]], w * value[row_ptr[j]:row_ptr[j + 1]])
    elif kind == "ordinal-factors":
        eta = (np.float32(group.attrs["global_mean"]) + group["user_bias"][u] + group["movie_bias"][:]
               + group["user_factors"][u] @ group["movie_factors"][:].T).astype(np.float32)
        scores = expected_rating(model, group, eta, u, np.arange(m))
    else:
        scores = group["movie_bias"][:] + group["user_factors"][u] @ group["movie_factors"][:].T
    scores = scores.astype(np.float32)
    scores[seen] = -np.inf
    order = [i for i in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[i])]
    return False, [item(model, i, scores[i]) for i in order]


def predict(model, user_id, movie_id):
    rating_head = heads(model)[0]
    if rating_head is None:
        raise SystemExit("this model predicts no ratings")
    group = rating_head[0]
    movie_ids = model["movies/id"][:]
    i = int(np.searchsorted(movie_ids, movie_id))
    if i >= len(movie_ids) or movie_ids[i] != movie_id:
        raise SystemExit(f"movie {movie_id} is not in the model")
    _, train = training(model)
    movie_known = bool((train == i).any())
    u = known_user(model, user_id)
    mean = np.float32(group.attrs["global_mean"])
    if u is not None and movie_known:
        value = mean + group["user_bias"][u] + group["movie_bias"][i] + np.dot(group["user_factors"][u], group["movie_factors"][i])
        if rating_head[1] == "ordinal-factors":
            value = expected_rating(model, group, np.float32(value), u, np.array([i]))[0]
        algorithm = group.attrs["algorithm"] if model.attrs["format_version"] == 2 else model.attrs["algorithm"]
        basis = f"model ({algorithm})"
    elif movie_known:
        value, basis = mean + group["movie_bias"][i], "unknown user: global mean + movie bias"
    elif u is not None:
        value, basis = mean + group["user_bias"][u], "movie without training ratings: global mean + user bias"
    else:
        value, basis = mean, "unknown user and movie without training ratings: global mean"
    rating = float(np.clip(np.float32(value), model.attrs["rating_min"], model.attrs["rating_max"]))
    return {"user": user_id, "movie": item(model, i, rating), "rating": rating, "cold_start": not basis.startswith("model"), "basis": basis}


if __name__ == "__main__":
    store, reference, question = sys.argv[1], sys.argv[2], sys.argv[3]
    model, name, version = open_model(store, reference)
    if question == "user":
        user = int(sys.argv[4])
        k = int(sys.argv[5]) if len(sys.argv) > 5 else 10
        cold, items = recommend(model, user, k)
        print(json.dumps({"model": name, "version": version, "user": user, "cold_start": cold, "items": items}))
    elif question == "predict":
        answer = predict(model, int(sys.argv[4]), int(sys.argv[5]))
        print(json.dumps({"model": name, "version": version, **answer}))
    else:
        raise SystemExit("usage: recommend_example.py STORE NAME[@VERSION|@ALIAS] user USER_ID [K] | predict USER_ID MOVIE_ID")
