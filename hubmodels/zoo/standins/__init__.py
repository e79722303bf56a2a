"""Stand-ins of the tutorial's TF1 Hub modules: the originals' interfaces, random weights.

Each file registers one zoo entry `standin/<path on tfhub.dev>`, written in the
TF1 Hub format by `hubmodels.hub.tf1_writer`, cheap to build and to run.
"""
