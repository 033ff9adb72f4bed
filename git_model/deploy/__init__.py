"""`git model get`: one revision's model files from a remote repository, without a clone.

`cache` keeps a shallow bare repository and a model store per repository URL; `target`
writes verified files into the output directory so that no reader (and no process started
after a `kill -9`) ever sees a partial file; `get` ties them together. Documented in
docs/deploy.md.
"""
