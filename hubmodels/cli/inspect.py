"""`hubmodels inspect HANDLE`: tag sets, signatures, inputs, outputs and variables of a module."""

import json


def run(args) -> None:
    from hubmodels.hub import inspection

    report = inspection.describe(args.handle, signature=args.signature)
    if args.json:
        print(json.dumps(inspection.to_json(report), indent=2))
    else:
        print(inspection.render_text(report))


def add_commands(commands) -> None:
    inspect = commands.add_parser("inspect", help="tag sets, signatures, inputs and outputs")
    inspect.add_argument("handle", help="folder, .tar.gz, URL or hubmodels://NAME")
    inspect.add_argument("--signature", help="show only this signature")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(run=run)
