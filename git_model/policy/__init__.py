"""Model metadata and the ``.gitmodel`` policy (spec: docs/policy.md).

Modules, one job each:

- ``gitconfig``: entries of a git-config file with their line numbers (Git parses, we locate)
- ``rules`` / ``policy``: the ``[policy "PATTERN"]`` sections and their rules, parsed strictly
- ``sidecar``: ``<model>.meta.toml`` read (flattened to dotted keys) and written
- ``sources``: working tree, index or commit as one ``Snapshot`` interface
- ``metadata``: embedded (header) plus sidecar metadata of one model
- ``check``: which models to check and what is wrong with them
- ``receive``: the pre-receive hook's view of a push
"""
