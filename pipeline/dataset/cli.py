"""``xpm dataset list | show | verify | diff``: look at dataset versions."""

from __future__ import annotations

HELP = "list, show, verify (re-hash) and diff dataset versions written by pseudo-label"


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="every finished version under ROOT")
    listing.add_argument("root")
    show = sub.add_parser("show", help="counts, nouns by frequency, rejects by reason, lineage")
    show.add_argument("version", help="ROOT/NAME/vN, or ROOT/NAME for the newest")
    show.add_argument("--top", type=int, default=20, help="how many nouns to list (default 20)")
    verify = sub.add_parser("verify", help="re-hash every shard; exit 1 naming the first bad one")
    verify.add_argument("version")
    diff = sub.add_parser("diff", help="lineage changes, per-noun count changes, samples added and removed")
    diff.add_argument("a")
    diff.add_argument("b")
    diff.add_argument("--limit", type=int, default=20, help="rows shown per section (default 20)")


def run(args) -> int:
    from pipeline.dataset.inspect import diff_versions, first_bad_shard, summary
    from pipeline.dataset.versions import list_datasets, open_version

    if args.action == "list":
        rows = list_datasets(args.root)
        if not rows:
            print(f"{args.root}: no dataset versions")
        for name, number, counts in rows:
            print(f"{name}/v{number}: {counts['samples']} samples, {counts['rejects']} rejects, {counts['vocabulary']} nouns")
        return 0
    if args.action == "show":
        print(summary(open_version(args.version), top=args.top))
        return 0
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
    return 0
