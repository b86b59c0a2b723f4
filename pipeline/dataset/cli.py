"""``xpm dataset list | show | report | verify | diff``: look at dataset versions."""

from __future__ import annotations

HELP = ("list, show (and render samples), report (HTML), verify (re-hash) and diff dataset versions written by pseudo-label; "
        "clean stopped runs' staging folders")


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
