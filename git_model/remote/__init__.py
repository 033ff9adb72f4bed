"""Remote stores: backends behind the `Backend` protocol, URL parsing and retries.

Import the submodules directly (``git_model.remote.s3`` etc.); this package imports nothing so
that loading it never pulls in boto3.
"""
