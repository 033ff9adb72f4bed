"""`git model migrate`: rewriting history between ordinary blobs, Git LFS pointers and git-model
pointers (spec and behaviour: docs/migrate.md).

Modules: `stream` (the fast-export stream: parser and writer), `gitattributes` (per-commit
`.gitattributes` rewriting, pure functions), `lfs` (LFS pointers and the LFS object directory),
`catfile` (blob contents through one `git cat-file --batch`), `scan` (what history holds: the
read-only pass used by `info` and as the pre-flight check), `convert` (the import and export
blob conversions), `rewrite` (fast-export → conversion → fast-import, refs and working tree).
"""
