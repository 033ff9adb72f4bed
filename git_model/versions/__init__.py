"""Model versions as Git history sees them: listing, status, log, show, diff and storage
statistics for the `git model` inspection commands and the Python API (`git_model.api`).

Every report here is a frozen dataclass with ``to_json()`` (a stable schema with
``"version": JSON_VERSION``, documented in docs/inspect.md) and ``format_text()``. Nothing in
this package prints or exits; errors are raised from `git_model.errors`.
"""

JSON_VERSION = 1
