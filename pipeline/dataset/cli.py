"""``xpm dataset list | show | report | verify | diff``: look at dataset versions; ``review | score |
derive | reproduce``: judge a sample of its labels, turn the verdicts into precision per noun,
write a filtered version, rebuild a version from its lineage."""

from __future__ import annotations

HELP = ("list, show (and render samples), report (HTML), verify (re-hash) and diff dataset versions; clean stopped runs' "
        "staging folders; review labels, score the review, derive a filtered version, reproduce a version from its lineage")


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="every finished version under ROOT, and the staging folders of unfinished runs")
    listing.add_argument("root")
    clean = sub.add_parser("clean", help="remove ROOT/NAME's staging folders of stopped runs (never a running job's)")
    clean.add_argument("dataset", help="ROOT/NAME")
    show = sub.add_parser("show", help="counts, nouns by frequency, rejects by reason, lineage; --samples N --out DIR renders samples")
    show.add_argument("version", help="ROOT/NAME/vN, or ROOT/NAME for the newest")
    show.add_argument("--top", type=int, default=20, help="how many nouns to list (default 20)")
    show.add_argument("--samples", type=int, help="render the first N samples (image, each noun's pseudo box and mask, "
                                                   "teacher score) as DIR/<key>.png and DIR/contact_sheet.png")
    show.add_argument("--out", help="folder for the rendered samples (with --samples)")
    report = sub.add_parser("report", help="a static HTML report (counts, noun chart, rejects, lineage, gallery) in DIR")
    report.add_argument("version", help="ROOT/NAME/vN, or ROOT/NAME for the newest")
    report.add_argument("--out", required=True, help="folder for index.html, nouns.svg and samples/ (created when missing)")
    report.add_argument("--samples", type=int, default=24, help="samples in the gallery (default 24)")
    report.add_argument("--top", type=int, default=30, help="nouns in the frequency chart (default 30)")
    verify = sub.add_parser("verify", help="re-hash every shard; exit 1 naming the first bad one")
    verify.add_argument("version")
    diff = sub.add_parser("diff", help="lineage changes, per-noun count changes, samples added and removed, and per noun "
                                       "the labels added, removed and moved (box IoU < 0.5) in the samples both hold")
    diff.add_argument("a")
    diff.add_argument("b")
    diff.add_argument("--limit", type=int, default=20, help="rows shown per section (default 20)")
    review = sub.add_parser("review", help="a static review page (DIR/index.html): a random sample of labels per noun to "
                                           "mark right / wrong / unsure, saved as a JSON file for `score` and `derive`")
    review.add_argument("version", help="ROOT/NAME/vN, or ROOT/NAME for the newest")
    review.add_argument("--out", required=True, help="folder for index.html and labels/ (created when missing)")
    review.add_argument("--per-noun", type=int, default=20, help="labels drawn per noun (default 20; all of a rarer noun's)")
    review.add_argument("--nouns", help="only these nouns, a comma list (default: every noun)")
    review.add_argument("--seed", type=int, default=0, help="seed of the draw (default 0): the same seed draws the same labels")
    score = sub.add_parser("score", help="precision per noun and overall with 95%% Wilson intervals from a review's verdicts; "
                                         "the nouns whose upper bound is below --threshold")
    score.add_argument("version", help="ROOT/NAME/vN the review was drawn from")
    score.add_argument("--verdicts", required=True, help="the JSON file the review page saved")
    score.add_argument("--out", help="folder for precision.json and the chart precision.png/.svg (created when missing)")
    score.add_argument("--threshold", type=float, default=0.5,
                       help="list the nouns whose 95%% upper bound is below this precision (default 0.5)")
    derive = sub.add_parser("derive", help="a new version vN+1 of the same dataset without the labels a filter drops "
                                           "(they move to each sample's unlabeled nouns, with the filter as reason)")
    derive.add_argument("version", help="ROOT/NAME/vN to derive from")
    derive.add_argument("--drop-nouns", help="drop every label of these nouns, a comma list")
    derive.add_argument("--min-precision", type=float, help="drop the nouns whose reviewed precision has its 95%% upper "
                                                            "bound below P (needs --verdicts; unreviewed nouns are kept)")
    derive.add_argument("--verdicts", help="the review file of this version (`xpm dataset review`), for --min-precision")
    derive.add_argument("--min-score", type=float, help="drop the labels whose teacher score is below S")
    reproduce = sub.add_parser("reproduce", help="rebuild a version from its lineage into DIR and compare every shard's "
                                                 "sha256; exit 0 when identical, 1 naming the first file that differs")
    reproduce.add_argument("version", help="ROOT/NAME/vN to rebuild")
    reproduce.add_argument("--out", required=True, help="dataset root for the rebuild (DIR/NAME/vK; created when missing)")
    reproduce.add_argument("--quiet", action="store_true", help="no progress lines")


def _show(args) -> int:
    from pipeline.dataset.inspect import summary
    from pipeline.dataset.render import CONTACT_SHEET, write_sample_pictures
    from xpm.io.dataset_version import open_version
    from xpm.config import ConfigError
    from xpm.io.files import output_folder

    if (args.samples is None) != (args.out is None):
        raise ConfigError("xpm dataset show: --samples N and --out DIR go together (render N samples into DIR).")
    version = open_version(args.version)
    print(summary(version, top=args.top))
    if args.samples is not None:
        out = output_folder(args.out)
        written = write_sample_pictures(version, out, args.samples)
        print(f"rendered {len(written)} sample(s) into {out} (all on one sheet: {out / CONTACT_SHEET})")
    return 0


def _report(args) -> int:
    from pipeline.dataset.html_report import write_html_report
    from xpm.io.dataset_version import open_version
    from xpm.io.files import output_folder

    version = open_version(args.version)
    index = write_html_report(version, output_folder(args.out), samples=args.samples, top=args.top)
    print(f"wrote {index} (static files; open it in a browser)")
    return 0


def _review(args) -> int:
    from pipeline.dataset.review import write_review_page
    from xpm.io.dataset_version import open_version
    from xpm.io.files import output_folder

    version = open_version(args.version)
    page, labels = write_review_page(version, output_folder(args.out), per_noun=args.per_noun, nouns=args.nouns, seed=args.seed)
    print(f"wrote {page}: {len(labels)} labels of {len({label.word for label in labels})} nouns to review "
          "(static files; open it in a browser, save the verdicts with its button)")
    return 0


def _score(args) -> int:
    from pipeline.dataset.score import format_scores, load_review, score_review, write_scores
    from xpm.io.dataset_version import open_version
    from xpm.io.files import output_folder

    version = open_version(args.version)
    scores = score_review(version, load_review(version, args.verdicts), threshold=args.threshold)
    print(format_scores(scores))
    if args.out:
        written = write_scores(scores, output_folder(args.out))
        print("wrote " + ", ".join(str(path) for path in written))
    return 0


def _derive(args) -> int:
    from pipeline.dataset.derive import LabelFilter, derive_version
    from pipeline.dataset.review import parse_nouns
    from xpm.io.dataset_version import open_version

    version = open_version(args.version)
    label_filter = LabelFilter(tuple(parse_nouns(args.drop_nouns, "--drop-nouns") or ()), args.min_precision,
                               args.verdicts, args.min_score)
    result = derive_version(version, label_filter)
    counts = result.manifest["counts"]
    print(f"{result.path}: derived from {version.path}; {counts['nouns']} labels kept of "
          f"{counts['nouns'] + sum(result.dropped.values())}, {counts['vocabulary']} nouns; "
          f"{result.unchanged_shards} of {len(result.manifest['shards'])} shard(s) unchanged, byte for byte")
    for reason, count in sorted(result.dropped.items()):
        print(f"  dropped {reason}: {count}")
    return 0


def _reproduce(args) -> int:
    from pipeline.dataset.reproduce import reproduce_version
    from xpm.io.dataset_version import open_version
    from xpm.io.files import output_folder

    version = open_version(args.version)
    result = reproduce_version(version, output_folder(args.out))
    for note in result.notes:
        print(note)
    if result.difference:
        print(f"DIFFERS: {result.difference}" + (f" (rebuilt: {result.rebuilt})" if result.rebuilt else ""))
        return 1
    print(f"{version.path}: reproduced; all {len(version.manifest['shards'])} shard(s) of {result.rebuilt} match its sha256")
    return 0


def run(args) -> int:
    from pipeline.dataset.inspect import diff_versions, first_bad_shard, label_changes
    from xpm.io.dataset_version import list_datasets, open_version

    if args.action == "list":
        from pipeline.version import staging_folders

        rows = list_datasets(args.root)
        if not rows:
            print(f"{args.root}: no dataset versions")
        for name, number, counts in rows:
            print(f"{name}/v{number}: {counts['samples']} samples, {counts['rejects']} rejects, {counts['vocabulary']} nouns")
        for staging in staging_folders(args.root):
            state = (f"running ({staging.running})" if staging.running else
                     "stopped: the same pseudo-label command resumes it, `xpm dataset clean ROOT/NAME` removes it")
            print(f"{staging.path}: unfinished, {staging.shards} shard(s) done; {state}")
        return 0
    if args.action == "clean":
        from pipeline.version import clean_staging

        removed, running = clean_staging(args.dataset)
        for staging in removed:
            print(f"removed {staging.path} ({staging.shards} shard(s) done)")
        for staging in running:
            print(f"kept {staging.path}: running ({staging.running})")
        if not removed and not running:
            print(f"{args.dataset}: no staging folders")
        return 0
    if args.action == "show":
        return _show(args)
    if args.action == "report":
        return _report(args)
    if args.action == "review":
        return _review(args)
    if args.action == "score":
        return _score(args)
    if args.action == "derive":
        return _derive(args)
    if args.action == "reproduce":
        return _reproduce(args)
    if args.action == "verify":
        version = open_version(args.version)
        bad = first_bad_shard(version)
        if bad:
            print(f"FAILED: {bad}")
            return 1
        print(f"{version.path}: all {len(version.manifest['shards'])} shard(s) match the manifest")
        return 0
    a, b = open_version(args.a), open_version(args.b)
    result = diff_versions(a, b)
    print(f"{a.path} -> {b.path}")
    print(f"lineage changes: {len(result.lineage)}")
    for key, old, new in result.lineage[: args.limit]:
        print(f"  {key}: {old!r} -> {new!r}")
    print(f"noun count changes: {len(result.nouns)}")
    for word, old, new in result.nouns[: args.limit]:
        print(f"  {word}: {old} -> {new} ({new - old:+d})")
    print(f"samples added: {len(result.added)}; removed: {len(result.removed)}")
    for key in result.added[: args.limit]:
        print(f"  + {key}")
    for key in result.removed[: args.limit]:
        print(f"  - {key}")
    changes = label_changes(a, b)
    print(f"labels by noun in the samples both hold (added / removed / moved): {len(changes)} noun(s) changed")
    for row in changes[: args.limit]:
        print(f"  {row.word}: +{row.added} -{row.removed} ~{row.moved}")
    return 0
