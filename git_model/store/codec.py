"""Per-chunk encoding: stored raw, or zstd-compressed when that clearly saves space.

Float weights (fp32/fp16) compress by only ~8% at ~0.6 GB/s with zstd level 1, which would
dominate `git add`; bf16, int8, sparse or padded data compress by 20-90%. So each chunk's first
4 KiB is compressed as a sample and the whole chunk is compressed only when the sample shrinks
by at least 15%. (Byte-grouping float planes before zstd was measured: no gain at level 1.)
"""

from __future__ import annotations

import zstandard

RAW = 0
ZSTD = 1
CODEC_NAMES = {RAW: "raw", ZSTD: "zstd"}

COMPRESSION_MODES = ("auto", "always", "never")
SAMPLE_SIZE = 4096
SAMPLE_RATIO = 0.85


class Codec:
    """Encoder/decoder pair; not thread-safe (zstd contexts), make one per thread."""

    def __init__(self, mode: str = "auto") -> None:
        if mode not in COMPRESSION_MODES:
            raise ValueError(f"unknown compression mode {mode!r}")
        self.mode = mode
        self._compressor = zstandard.ZstdCompressor(level=1)
        self._decompressor = zstandard.ZstdDecompressor()

    def encode(self, data: memoryview) -> tuple[int, bytes | memoryview]:
        """Return (codec, stored bytes). Raw data is returned as the caller's view, not copied."""
        if self.mode == "never" or len(data) < 64:
            return RAW, data
        if self.mode == "auto" and len(data) > SAMPLE_SIZE:
            sample = self._compressor.compress(data[:SAMPLE_SIZE])
            if len(sample) > SAMPLE_SIZE * SAMPLE_RATIO:
                return RAW, data
        packed = self._compressor.compress(data)
        if len(packed) >= len(data):
            return RAW, data
        return ZSTD, packed

    def decode(self, codec: int, stored: bytes, raw_len: int) -> bytes:
        """Inverse of `encode`; raises ValueError on an unknown codec or a bad length."""
        if codec == RAW:
            data = stored
        elif codec == ZSTD:
            data = self._decompressor.decompress(stored, max_output_size=raw_len)
        else:
            raise ValueError(f"unknown codec {codec}")
        if len(data) != raw_len:
            raise ValueError(f"decoded {len(data)} bytes, expected {raw_len}")
        return data
