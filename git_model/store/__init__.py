"""The local side store: packs of chunks, their index and per-file manifests."""
