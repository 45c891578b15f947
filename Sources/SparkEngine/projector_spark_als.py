"""Projector's Spark job: one factor head trained by Spark MLlib's ALS.

`factorise --engine spark` writes this file (embedded in the binary) into its work folder and
starts it with `spark-submit --master … --properties-file … projector_spark_als.py ARGS`. The
driver runs on the machine `factorise` runs on (client mode); the executors wherever the master
puts them. Three phases, each timed into the report:

1. export: the training side of the `projector.normalised` file (h5py) → Parquet files, one per
   user range (`part-00000.parquet` …, users in ascending order: partitioned by user), columns
   `user`, `movie` (the ratings file's dense indices, int32), `value` (float32: the normalised
   value for the explicit head, 1 for a liked rating for the implicit head), written by pyarrow to a
   local folder or any URI pyarrow's file systems reach (s3://, gs://, hdfs://) that the
   cluster also reads;
2. spark: `pyspark.ml.recommendation.ALS` on that Parquet, seed and blocks fixed, checkpoints every
   10 sweeps beside the export (its result then
   does not depend on the cluster's schedule: tested, local against standalone);
3. import: `userFactors` and `itemFactors` collected to the driver and written, rows in index
   order, as a `projector.spark_factors` HDF5 file (below) that `factorise` checks and reads.

`projector.spark_factors` (format_version 1) is documented in docs/formats.md.

A watchdog thread (`Watchdog`) ends the job when factorise is gone or, on a cluster, when no
executor has been alive for `--deadline` seconds.

The report (JSON, `--report`): the phases' seconds, the Spark version, application id, master,
the exported ratings and files. A failure prints Spark's own message on stderr and exits 1.
"""

import argparse
import json
import os
import shutil
import sys
import threading
import time


def fail(message):
    """The job's own verdict, on the line `factorise` quotes (`projector-spark: …`), exit 1."""
    print(f"projector-spark: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def parse():
    p = argparse.ArgumentParser(prog="projector_spark_als.py")
    p.add_argument("--normalised", required=True, help="the projector.normalised file")
    p.add_argument("--data", required=True, help="folder or URI for the exported Parquet")
    p.add_argument("--factors", required=True, help="the projector.spark_factors file to write")
    p.add_argument("--report", required=True, help="the JSON report to write")
    p.add_argument("--implicit", action="store_true", help="implicitPrefs on liked ratings")
    p.add_argument("--liked-threshold", type=float, default=4.0)
    p.add_argument("--rank", type=int, required=True)
    p.add_argument("--max-iter", type=int, required=True)
    p.add_argument("--reg-param", type=float, required=True)
    p.add_argument("--alpha", type=float, default=1.0)
    p.add_argument("--num-blocks", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--deadline", type=float, required=True, help="seconds without an executor before failing")
    p.add_argument("--master", required=True, help="the master spark-submit was given (for the watchdog)")
    p.add_argument("--parent-pid", type=int, default=0, help="factorise's pid: the job stops when it is gone")
    return p.parse_args()


def arrow_filesystem(uri):
    """pyarrow's file system and path for `uri` (Hadoop's s3a:// is pyarrow's s3://; a plain path is local)."""
    import pyarrow.fs as pafs

    if "://" not in uri:
        return pafs.LocalFileSystem(), os.path.abspath(uri)
    if uri.startswith("s3a://"):
        uri = "s3://" + uri[len("s3a://"):]
    return pafs.FileSystem.from_uri(uri)


def export(args):
    """The training side as Parquet, one file per user range; returns (users, movies, ratings, files)."""
    import h5py
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    with h5py.File(args.normalised, "r") as f:
        if f.attrs.get("format") not in ("projector.normalised", b"projector.normalised"):
            fail(f"{args.normalised}: not a projector.normalised file")
        users = int(f["terms/user_offset"].shape[0])
        movies = int(f["terms/movie_offset"].shape[0])
        user = f["train/user"][...].astype(np.int32)
        movie = f["train/movie"][...].astype(np.int32)
        if args.implicit:
            keep = f["train/rating"][...] >= args.liked_threshold
            user, movie = user[keep], movie[keep]
            value = np.ones(user.shape[0], dtype=np.float32)
        else:
            value = f["train/value"][...].astype(np.float32)
    if user.shape[0] == 0:
        fail(f"{args.normalised}: no training ratings to export" + (" at or above the liked threshold" if args.implicit else ""))
    # The file is sorted by (user, movie): each part is one contiguous user range.
    parts = max(1, args.num_blocks)
    bounds = np.searchsorted(user, np.linspace(0, users, parts + 1).round().astype(np.int64))
    fs, root = arrow_filesystem(args.data)
    fs.create_dir(root, recursive=True)
    files = 0
    for p in range(parts):
        lo, hi = int(bounds[p]), int(bounds[p + 1])
        if hi <= lo:
            continue
        table = pa.table({"user": user[lo:hi], "movie": movie[lo:hi], "value": value[lo:hi]})
        pq.write_table(table, f"{root}/part-{p:05d}.parquet", filesystem=fs)
        files += 1
    return users, movies, int(user.shape[0]), files


def checkpoint_uri(uri):
    """Where MLlib's checkpoints go: a sibling of the export (Spark's own URI for it)."""
    return (uri if "://" in uri else "file://" + os.path.abspath(uri)) + "-checkpoints"


def remove_export(uri):
    """The exported folder and the checkpoints removed (the job's own; shared storage keeps no copies)."""
    for folder in (uri, uri + "-checkpoints"):
        fs, root = arrow_filesystem(folder)
        try:
            fs.delete_dir(root)
        except (OSError, FileNotFoundError):
            pass


class Watchdog(threading.Thread):
    """Ends the driver (exit 1, the reason on stderr, the export removed) when

    - `factorise`, which started the job, is gone (killed: nobody would read the factors, and the
      job would go on holding the cluster's executors), or
    - while Spark runs on a cluster, no executor has been alive for `deadline` seconds: none
      registered (a master refused, unreachable, or without workers) or all lost (workers killed)
      and none coming back. Spark itself would wait for resources without end; SparkContext's own
      start blocks until the master answers, so this is a thread of its own. Local masters run
      their executor in the driver: no executor watch."""

    def __init__(self, master, deadline, export, parent):
        super().__init__(daemon=True)
        self.master, self.deadline, self.export, self.parent = master, deadline, export, parent
        self.spark = threading.Event()   # set while the session may have executors to watch

    def executors(self):
        from pyspark import SparkContext
        sc = SparkContext._active_spark_context
        if sc is None:
            return 0
        try:
            # The driver's own block manager is one entry; each executor adds one.
            return sc._jsc.sc().getExecutorMemoryStatus().size() - 1
        except Exception:
            return 0

    def stop(self, message):
        print(f"projector-spark: {message}", file=sys.stderr, flush=True)
        # os._exit skips main's cleanup: the export and checkpoints are removed here.
        remove_export(self.export)
        os._exit(1)

    def parent_alive(self):
        """Whether spark-submit (this driver's parent) still has factorise as its parent: a killed
        factorise leaves spark-submit to init (its pid may linger as a zombie, so not kill(pid, 0))."""
        try:
            with open(f"/proc/{os.getppid()}/stat") as stat:
                return int(stat.read().rsplit(")", 1)[1].split()[1]) == self.parent
        except (OSError, ValueError, IndexError):
            return True

    def run(self):
        last_alive, seen = time.time(), False
        watch_executors = not self.master.startswith("local")
        while True:
            time.sleep(0.25)
            if self.parent and not self.parent_alive():
                # factorise's private folder (this job file, the properties with any secrets, the
                # factors) is its to remove; gone, it cannot: removed here.
                folder = os.path.dirname(os.path.abspath(__file__))
                if os.path.basename(folder).startswith("projector-spark-"):
                    shutil.rmtree(folder, ignore_errors=True)
                self.stop(f"factorise (pid {self.parent}) is gone: the job stops")
            if not (watch_executors and self.spark.is_set()):
                last_alive = time.time()
                continue
            if self.executors() > 0:
                last_alive, seen = time.time(), True
            elif time.time() - last_alive > self.deadline:
                what = "every executor was lost and none came back" if seen else "no executor registered"
                self.stop(f"{what} within {self.deadline:g} s (master {self.master})")


def main():
    args = parse()
    report = {}
    t0 = time.time()
    watchdog = Watchdog(args.master, args.deadline, args.data, args.parent_pid)
    watchdog.start()
    try:
        run(args, report, t0, watchdog)
    finally:
        remove_export(args.data)


def run(args, report, t0, watchdog):
    users, movies, ratings, files = export(args)
    t1 = time.time()
    report["export_seconds"] = t1 - t0
    report["exported"] = {"ratings": ratings, "files": files, "uri": args.data}

    from pyspark.ml.recommendation import ALS
    from pyspark.sql import SparkSession

    watchdog.spark.set()
    spark = SparkSession.builder.appName(f"projector-{'ials' if args.implicit else 'als'}").getOrCreate()
    sc = spark.sparkContext
    report["spark_version"] = spark.version
    report["application_id"] = sc.applicationId
    report["master"] = sc.master
    print(f"projector-spark: application {sc.applicationId} on {sc.master}, Spark {spark.version}", file=sys.stderr, flush=True)
    try:
        # Checkpoints every 10 sweeps cut the RDD lineage (without them, a few dozen sweeps overflow
        # the executors' stacks); beside the export, where the cluster reads and writes.
        spark.sparkContext.setCheckpointDir(checkpoint_uri(args.data))
        frame = spark.read.parquet(args.data if "://" in args.data else "file://" + os.path.abspath(args.data))
        als = ALS(userCol="user", itemCol="movie", ratingCol="value", rank=args.rank, maxIter=args.max_iter,
                  regParam=args.reg_param, implicitPrefs=args.implicit, alpha=args.alpha,
                  numUserBlocks=args.num_blocks, numItemBlocks=args.num_blocks, seed=args.seed,
                  nonnegative=False, checkpointInterval=10, coldStartStrategy="nan")
        model = als.fit(frame)
        user_rows = model.userFactors.collect()
        movie_rows = model.itemFactors.collect()
        t2 = time.time()
        report["spark_seconds"] = t2 - t1
    finally:
        watchdog.spark.clear()
        spark.stop()

    import h5py
    import numpy as np

    def dense(rows, count, what):
        out = np.zeros((count, args.rank), dtype=np.float32)
        for row in rows:
            index = int(row["id"])
            if not 0 <= index < count:
                fail(f"Spark returned {what} id {index}, outside 0..<{count}")
            out[index] = np.asarray(row["features"], dtype=np.float32)
        return out

    user_factors = dense(user_rows, users, "user")
    movie_factors = dense(movie_rows, movies, "movie")
    partial = args.factors + ".partial"
    with h5py.File(partial, "w") as f:
        f.attrs["format"] = "projector.spark_factors"
        f.attrs["format_version"] = np.int64(1)
        f.attrs["spark_version"] = report["spark_version"]
        f.attrs["application_id"] = report["application_id"]
        f.attrs["master"] = report["master"]
        f.attrs["rank"] = np.int64(args.rank)
        f.create_dataset("user_factors", data=user_factors)
        f.create_dataset("movie_factors", data=movie_factors)
    os.replace(partial, args.factors)
    report["import_seconds"] = time.time() - t2
    report["user_rows"] = len(user_rows)
    report["movie_rows"] = len(movie_rows)
    with open(args.report, "w") as out:
        json.dump(report, out, sort_keys=True)


if __name__ == "__main__":
    main()
