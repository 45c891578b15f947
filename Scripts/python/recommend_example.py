#!/usr/bin/env python3
"""Load a published Projector model with h5py and answer recommend(user, k), exactly as the Swift
ProjectorClient library (and the `recommend` executable) does.

    recommend_example.py STORE NAME[@VERSION|@ALIAS] USER_ID [K]

Prints one JSON object: {"version": …, "cold_start": …, "movies": [movie ids, best first]}.

The steps, all on documented files (see the README's formats):
1. resolve the alias file <store>/<name>/aliases/<alias>.json to a version;
2. check model.h5 against the sha256 in manifest.json;
3. factor models: score = movie_bias + user_factors[u] · movie_factors (the global mean and the
   user's bias do not change the order); item-item (EASE): score = Σ weights[i] over the user's
   training movies i;
4. drop the user's training movies, take the k best, ties to the lower movie index;
5. an unknown user gets the most-rated movies (cold start).
"""
import hashlib
import json
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
    return h5py.File(f"{folder}/model.h5", "r"), version


def recommend(model, user_id, k):
    assert model.attrs["format"] == "projector.model"
    user_ids = model["users/id"][:]
    ptr = model["train/user_ptr"][:]
    train = model["train/movie"][:]
    movie_ids = model["movies/id"][:]
    position = np.searchsorted(user_ids, user_id)
    if position >= len(user_ids) or user_ids[position] != user_id:
        counts = np.bincount(train, minlength=len(movie_ids)).astype(np.float32)
        order = np.argsort(-counts, kind="stable")[:k]
        return True, movie_ids[order].tolist()
    u = int(position)
    seen = train[ptr[u]:ptr[u + 1]]
    group = model["model"]
    if model.attrs["model_kind"] == "item-item":
        scores = group["weights"][:][seen].sum(axis=0, dtype=np.float32)
    else:
        scores = group["movie_bias"][:] + group["user_factors"][u] @ group["movie_factors"][:].T
    scores = scores.astype(np.float32)
    scores[seen] = -np.inf
    order = [i for i in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[i])]
    return False, movie_ids[order].tolist()


if __name__ == "__main__":
    store, reference, user = sys.argv[1], sys.argv[2], int(sys.argv[3])
    k = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    model, version = open_model(store, reference)
    cold, movies = recommend(model, user, k)
    print(json.dumps({"version": version, "cold_start": cold, "movies": movies}))
