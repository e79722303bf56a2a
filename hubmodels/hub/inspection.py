"""What `hubmodels inspect` reports: tag sets, signatures, inputs, outputs, variables.

TF1 modules are described from their files alone (nothing is loaded or run); an
input whose placeholder contradicts its SignatureDef is shown as the placeholder
takes it, with a note saying what the SignatureDef declares.
TF2 SavedModels are loaded too, to describe a reusable model's `__call__`.
"""

from hubmodels.hub import card, handles, savedmodel_file


def describe(handle, signature=None) -> dict:
    """A JSON-ready description of the module at `handle`."""
    path = handles.resolve(handle)
    info = savedmodel_file.read(path)
    module_card = card.read(path)
    graphs = []
    for graph in info.meta_graphs:
        signatures = dict(graph.signatures)
        if info.format == "TF2 SavedModel" and "default" not in signatures:
            signatures.update(_call_signature(handle))
        graphs.append({"tags": sorted(graph.tags), "signatures": signatures})
    if signature is not None:
        _keep_only(graphs, signature, handle)
    return {
        "handle": str(handle),
        "path": str(path),
        "format": info.format,
        "card": module_card,
        "tag_sets": [g["tags"] for g in graphs],
        "meta_graphs": graphs,
        "variables": {
            "count": len(info.variables),
            "bytes": sum(v.num_bytes for v in info.variables),
        },
    }


def _call_signature(handle) -> dict:
    from hubmodels.hub.module import Module

    try:
        module = Module(handle)
    except Exception:
        return {}
    if "default" not in module.get_signature_names():
        return {}
    return {"default": module.signature_info("default")}


def _keep_only(graphs, signature, handle):
    from hubmodels.errors import SignatureError

    names = sorted({name for g in graphs for name in g["signatures"]})
    if signature not in names:
        raise SignatureError(f"module {handle} has no signature {signature!r}; available: {names}")
    for g in graphs:
        g["signatures"] = {k: v for k, v in g["signatures"].items() if k == signature}


def _size_text(num_bytes: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if num_bytes < 1024 or unit == "GiB":
            return f"{num_bytes:.0f} {unit}" if unit == "B" else f"{num_bytes:.1f} {unit}"
        num_bytes /= 1024
    return ""


def render_text(report: dict) -> str:
    """The report as the tutorial's listings: one info per line."""
    lines = [
        f"Module: {report['handle']}",
        f"Path: {report['path']}",
        f"Format: {report['format']}",
    ]
    module_card = report["card"]
    if module_card:
        lines.append(f"Zoo: {module_card.get('kind', '')} — {module_card.get('summary', '')}")
        if module_card.get("requires"):
            needs = ", ".join(card.pip_name(r) for r in module_card["requires"])
            lines.append(f"Needs: {needs} (imported automatically on load)")
    tag_text = ", ".join(
        "{" + ", ".join(repr(t) for t in tags) + "}" for tags in report["tag_sets"]
    )
    lines.append(f"Tag sets: {tag_text}")
    variables = report["variables"]
    lines.append(f"Variables: {variables['count']} ({_size_text(variables['bytes'])})")
    for graph in report["meta_graphs"]:
        tags = "{" + ", ".join(repr(t) for t in graph["tags"]) + "}"
        lines.append("")
        lines.append(f"Signatures of tag set {tags}: {sorted(graph['signatures'])}")
        for name, infos in sorted(graph["signatures"].items()):
            lines.append(f"  {name}")
            lines.append("    inputs:")
            lines += [f"      {k}: {v!r}" for k, v in infos.inputs.items()]
            lines.append("    outputs:")
            lines += [f"      {k}: {v!r}" for k, v in infos.outputs.items()]
    return "\n".join(lines)


def to_json(report: dict) -> dict:
    """The report with tensor infos as plain JSON values."""
    clean = dict(report)
    clean["meta_graphs"] = [
        {
            "tags": g["tags"],
            "signatures": {
                name: {
                    "inputs": {k: v.to_json() for k, v in sig.inputs.items()},
                    "outputs": {k: v.to_json() for k, v in sig.outputs.items()},
                }
                for name, sig in sorted(g["signatures"].items())
            },
        }
        for g in report["meta_graphs"]
    ]
    return clean
