#!/usr/bin/env python3
"""Load a published Projector model with h5py and answer recommend(user, k) and predict(user,
movie) as the Swift ProjectorClient library (and the `recommend` executable) does: the same movies,
scores and ratings to float32 rounding (numpy sums in another order than BLAS, so two movies
whose scores tie to the last bit may swap).

    recommend_example.py STORE NAME[@VERSION|@ALIAS] user USER_ID [K]
    recommend_example.py STORE NAME[@VERSION|@ALIAS] predict USER_ID MOVIE_ID
    recommend_example.py STORE NAME[@VERSION|@ALIAS] history RATINGS.csv [K] [gender=F] [age=30] [occupation=…] [zip=…]

Prints one JSON object, with the keys of `recommend --json`:
  user:    {"model", "version", "user", "cold_start", "items": [{"movie_id", "title", "year", "genres", "score",
            "rating", "because"}]}
  predict: {"model", "version", "user", "movie": {"movie_id", "title", "year", "genres", "score"}, "rating", "cold_start", "basis"}
  history: the `user` answer for a person given by their ratings (CSV movie_id,rating; fold-in,
           format 3 files), user null, plus "ignored" (ids the model does not know)

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
5. each recommendation's "rating" is step 4's prediction (absent without a rating head) and
   "because" the (up to 3) rated movies with the largest positive terms of its score: item-item
   w_j * B[j, i]; factors (fold-in, step 6) e_j / s2 * x_j . A^-1 (0, Q_i);
   a movie without training ratings gets its stars from the file's content baseline (/cold_movies,
   cold_rating below; without one global_mean + user_bias[u]);
6. fold-in (history): a factor head's person z = (b_u, P_u) = m + A^-1 X^T e / s2, A = S^-1 +
   X^T X / s2 (m, S, s2 from H/fold_in; x_j = (1, Q_j); e_j = y_j - global_mean - movie_bias[j] -
   x_j . m); an item-item head scores the history row with each rating's input weight from
   H/fold_in/{rating,input_weight} (the nearest rating's, the lower on a tie). Attributes given
   (gender, age, occupation, zip) shift m by H/fold_in/attribute_offset of each value the prior
   knows (age by ML-1M's groups, zip by its first character); the rated movies shift it by their
   rows of H/fold_in/implicit_offset (H/fold_in/implicit_movie), summed over 1/sqrt(h).
Version-1 and version-2 files are read too (version 2 has no fold-in state: history refuses).
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
    if model.attrs["format"] != "projector.model" or model.attrs["format_version"] not in (1, 2, 3):
        raise SystemExit(f"{folder}/model.h5 is not a projector.model version 1, 2 or 3")
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
    ratings = model["train/rating"][ptr[u]:ptr[u + 1]] if "train/rating" in model else None
    person = fold_in(model, seen, ratings) if kind == "factors" and ratings is not None and "fold_in" in group else None
    items = []
    for i in order:
        entry = item(model, i, scores[i])
        rating_head = heads(model)[0]
        if rating_head is not None:
            entry["rating"] = stored_rating(model, rating_head, u, i)
        if person is not None:
            entry["because"] = because(model, seen, ratings, person.contributions(i))
        elif kind in ("item-item", "sparse-item-item") and ratings is not None:
            entry["because"] = because(model, seen, ratings, weight * column_of(group, kind, seen, i))
        items.append(entry)
    return False, items


def cold_rating(model, movies, ratings, i):
    """Stars for movie i without training ratings, from the file's content baseline (/cold_movies):
    clip(mu + b_u + t_i + mean over i's genres of a_ug), the person's terms from their ratings
    (b_u = sum(r - mu) / (n + 10); a_ug = their residuals r - mu - b_u - t_j per genre / (count + 10))."""
    cold = model["cold_movies"]
    mu, term = np.float32(cold.attrs["global_mean"]), cold["movie_term"][:]
    genres = [g.decode() for g in model["movies/genres"][:]]
    ratings = np.asarray(ratings, dtype=np.float32)
    b = np.float32((ratings - mu).sum(dtype=np.float32) / np.float32(len(ratings) + 10)) if len(ratings) else np.float32(0)
    sums = {}
    for j, r in zip(movies, ratings):
        for g in genres[j].split("|"):
            if g:
                total, count = sums.get(g, (0.0, 0))
                sums[g] = (total + float(r - mu - b - term[j]), count + 1)
    mine = [g for g in genres[i].split("|") if g]
    affinity = np.mean([sums[g][0] / (sums[g][1] + 10) if g in sums else 0.0 for g in mine]) if mine else 0.0
    return float(np.clip(np.float32(mu + b + term[i] + affinity), model.attrs["rating_min"], model.attrs["rating_max"]))


def trained_count(model, i):
    _, train = training(model)
    return int((train == i).sum())


def stored_rating(model, rating_head, u, i):
    group, kind, _ = rating_head
    if trained_count(model, i) == 0:
        ptr, train = training(model)
        if "cold_movies" in model and "train/rating" in model:
            return cold_rating(model, train[ptr[u]:ptr[u + 1]], model["train/rating"][ptr[u]:ptr[u + 1]], i)
        value = np.float32(group.attrs["global_mean"]) + group["user_bias"][u]
        return float(np.clip(np.float32(value), model.attrs["rating_min"], model.attrs["rating_max"]))
    value = (np.float32(group.attrs["global_mean"]) + group["user_bias"][u] + group["movie_bias"][i]
             + np.dot(group["user_factors"][u], group["movie_factors"][i]))
    if kind == "ordinal-factors":
        value = expected_rating(model, group, np.float32(value), u, np.array([i]))[0]
    return float(np.clip(np.float32(value), model.attrs["rating_min"], model.attrs["rating_max"]))


def column_of(group, kind, sources, target):
    """B[j, target] for each j of sources."""
    if kind == "item-item":
        return group["weights"][:, target][sources]
    row_ptr, column, value = group["row_ptr"][:], group["column"][:], group["value"][:]
    out = np.zeros(len(sources), dtype=np.float32)
    for n, j in enumerate(sources):
        cols = column[row_ptr[j]:row_ptr[j + 1]]
        at = np.searchsorted(cols, target)
        if at < len(cols) and cols[at] == target:
            out[n] = value[row_ptr[j] + at]
    return out


def because(model, movies, ratings, terms):
    """The (up to 3) movies with the largest positive terms, largest first (ties: lower index)."""
    order = sorted((n for n in range(len(movies)) if terms[n] > 0), key=lambda n: (-terms[n], movies[n]))[:3]
    return [{"movie_id": int(model["movies/id"][movies[n]]), "title": model["movies/title"][movies[n]].decode(),
             "rating": float(ratings[n]), "contribution": float(np.float32(terms[n]))} for n in order]


class FactorPerson:
    """A factor head's fold-in: z = m + A^-1 X^T e / s2 (docstring, step 6)."""

    def __init__(self, group, movies, ratings, attributes=None):
        fold = group["fold_in"]
        self.group, self.movies = group, movies
        mean, cov, s2 = fold["prior_mean"][:], fold["prior_covariance"][:], float(fold.attrs["noise_variance"])
        if attributes:
            # The prior's mean shifted by each given value it knows (H/fold_in/attribute_*).
            if "attribute_value" not in fold:
                raise SystemExit("this model's fold-in prior has no user attributes: leave them out")
            mean = mean.copy()
            for g, v, offset in zip(fold["attribute_group"][:], fold["attribute_value"][:], fold["attribute_offset"][:]):
                if attributes.get(g.decode()) == v.decode():
                    mean += offset  # one value at a time, in the file's order, as Swift adds them
        if "implicit_movie" in fold and len(movies):
            # ...and by the rated movies' implicit offsets over sqrt(h) (H/fold_in/implicit_*), in
            # ascending movie order, as Swift adds them.
            known, offsets = fold["implicit_movie"][:], fold["implicit_offset"][:]
            mean, scale = mean.copy(), 1 / math.sqrt(len(movies))
            for j in sorted(int(m) for m in movies):
                row = int(np.searchsorted(known, j))
                if row < len(known) and known[row] == j:
                    mean += offsets[row].astype(np.float64) * scale
        q = group["movie_factors"][:].astype(np.float64)
        self.q, self.bias = q, group["movie_bias"][:].astype(np.float64)
        x = np.hstack([np.ones((len(movies), 1)), q[movies]])
        e = ratings.astype(np.float64) - float(group.attrs["global_mean"]) - self.bias[movies] - x @ mean
        self.a = np.linalg.inv(cov) + x.T @ x / s2
        self.z = mean + np.linalg.solve(self.a, x.T @ e / s2)
        self.x, self.beta = x, e / s2

    def ranking_scores(self):
        return (self.bias + self.q @ self.z[1:]).astype(np.float32)

    def predict(self, i):
        return float(self.group.attrs["global_mean"]) + self.z[0] + self.bias[i] + self.q[i] @ self.z[1:]

    def contributions(self, i):
        target = np.concatenate([[0.0], self.q[i]])
        return self.beta * (self.x @ np.linalg.solve(self.a, target))


def fold_in(model, movies, ratings):
    group = heads(model)[1][0]
    if "fold_in" not in group:
        raise SystemExit("this model file has no fold-in state (format 3 writes it)")
    return FactorPerson(group, movies, ratings)


def attribute_values(given):
    """gender, age, occupation, zip as the models key them: the age's group (ML-1M's), the zip's first character."""
    values = {}
    if given.get("gender"): values["gender"] = given["gender"]
    if given.get("age"):
        age = int(given["age"])
        if not 1 <= age <= 200:
            raise SystemExit(f"age must be from 1 to 200 (years, or ML-1M's age-group code), not {age}")
        values["age"] = str(next((g for g in (56, 50, 45, 35, 25, 18) if age >= g), 1))
    if given.get("occupation"): values["occupation"] = given["occupation"]
    if given.get("zip"): values["zip"] = given["zip"][0]
    return values


def recommend_history(model, given, k, attributes=None):
    movie_ids = model["movies/id"][:]
    last, ignored = {}, []
    for movie_id, rating in given:
        i = int(np.searchsorted(movie_ids, movie_id))
        if i < len(movie_ids) and movie_ids[i] == movie_id:
            last[i] = rating
        elif movie_id not in ignored:
            ignored.append(movie_id)
    movies = np.array(sorted(last), dtype=np.int64)
    ratings = np.array([last[i] for i in movies], dtype=np.float32)
    m = len(movie_ids)
    if len(movies) == 0:
        _, train = training(model)
        counts = np.bincount(train, minlength=m).astype(np.float32)
        order = np.argsort(-counts, kind="stable")[:k]
        return True, [item(model, i, counts[i]) for i in order], ignored
    rating_head, ranking_head = heads(model)
    group, kind, _ = ranking_head
    rating_person = None
    if rating_head is not None:
        if "fold_in" not in rating_head[0]:
            raise SystemExit("this model file has no fold-in state (format 3 writes it)")
        rating_person = FactorPerson(rating_head[0], movies, ratings, attributes)
    if kind in ("item-item", "sparse-item-item"):
        fold = group["fold_in"]
        table, table_weights = fold["rating"][:], fold["input_weight"][:]
        weight = np.array([table_weights[np.argmin(np.abs(table - r))] for r in ratings], dtype=np.float32)
        if kind == "item-item":
            scores = (weight[:, None] * group["weights"][:][movies]).sum(axis=0, dtype=np.float32)
        else:
            row_ptr, column, value = group["row_ptr"][:], group["column"][:], group["value"][:]
            scores = np.zeros(m, dtype=np.float32)
            for j, w in zip(movies, weight):
                np.add.at(scores, column[row_ptr[j]:row_ptr[j + 1]], w * value[row_ptr[j]:row_ptr[j + 1]])
        terms = lambda i: weight * column_of(group, kind, movies, i)
    else:
        person = rating_person if ranking_head is rating_head else FactorPerson(group, movies, ratings, attributes)
        scores = person.ranking_scores()
        terms = person.contributions
    scores = scores.astype(np.float32)
    scores[movies] = -np.inf
    order = [i for i in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[i])]
    items = []
    for i in order:
        entry = item(model, i, scores[i])
        if rating_person is not None:
            if trained_count(model, i) > 0:
                entry["rating"] = float(np.clip(np.float32(rating_person.predict(i)), model.attrs["rating_min"], model.attrs["rating_max"]))
            elif "cold_movies" in model:
                entry["rating"] = cold_rating(model, movies, ratings, i)
            else:
                entry["rating"] = float(np.clip(np.float32(float(rating_person.group.attrs["global_mean"]) + rating_person.z[0]), model.attrs["rating_min"], model.attrs["rating_max"]))
        entry["because"] = because(model, movies, ratings, terms(i))
        items.append(entry)
    return False, items, ignored


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
        algorithm = group.attrs["algorithm"] if model.attrs["format_version"] >= 2 else model.attrs["algorithm"]
        basis = f"model ({algorithm})"
    elif movie_known:
        value, basis = mean + group["movie_bias"][i], "unknown user: global mean + movie bias"
    elif u is not None and "cold_movies" in model and "train/rating" in model:
        ptr, train = training(model)
        value = cold_rating(model, train[ptr[u]:ptr[u + 1]], model["train/rating"][ptr[u]:ptr[u + 1]], i)
        basis = "movie without training ratings: content baseline (its genres, year and title; the user's ratings)"
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
    elif question == "history":
        with open(sys.argv[4]) as f:
            lines = [line.strip() for line in f if line.strip()]
        if lines and lines[0].replace(" ", "").lower() == "movie_id,rating":
            lines = lines[1:]
        given = [(int(a), float(b)) for a, b in (line.split(",") for line in lines)]
        rest = sys.argv[5:]
        k = int(rest.pop(0)) if rest and "=" not in rest[0] else 10
        if any("=" not in argument or argument.split("=", 1)[0] not in ("gender", "age", "occupation", "zip") for argument in rest):
            raise SystemExit("attributes are gender=…, age=…, occupation=…, zip=…")
        attributes = attribute_values(dict(argument.split("=", 1) for argument in rest))
        cold, items, ignored = recommend_history(model, given, k, attributes)
        print(json.dumps({"model": name, "version": version, "user": None, "cold_start": cold, "items": items, "ignored": ignored}))
    elif question == "predict":
        answer = predict(model, int(sys.argv[4]), int(sys.argv[5]))
        print(json.dumps({"model": name, "version": version, **answer}))
    else:
        raise SystemExit("usage: recommend_example.py STORE NAME[@VERSION|@ALIAS] user USER_ID [K] | predict USER_ID MOVIE_ID | history CSV [K] [gender=… age=… occupation=… zip=…]")
