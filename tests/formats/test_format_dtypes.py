"""Element decoding: the float8 tables built from their bit layout agree with ml_dtypes."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from git_model.formats.dtypes import canonical, decoder, fp8_table

CODES = np.arange(256, dtype=np.uint8)


@pytest.mark.parametrize(
    ("dtype", "reference"),
    [
        ("F8_E4M3", ml_dtypes.float8_e4m3fn),
        ("FLOAT8E4M3FN", ml_dtypes.float8_e4m3fn),
        ("F8_E5M2", ml_dtypes.float8_e5m2),
        ("FLOAT8E4M3FNUZ", ml_dtypes.float8_e4m3fnuz),
        ("F8_E5M2FNUZ", ml_dtypes.float8_e5m2fnuz),
        ("F8_E8M0", ml_dtypes.float8_e8m0fnu),
    ],
)
def test_float8_tables_match_ml_dtypes(dtype: str, reference: type) -> None:
    codec = decoder(dtype)
    assert codec is not None and codec.itemsize == 1
    expected = CODES.view(reference).astype(np.float64)
    got = codec.decode(CODES.tobytes())
    assert np.array_equal(got, expected, equal_nan=True)
    finite = np.isfinite(expected)
    assert np.array_equal(np.signbit(got[finite]), np.signbit(expected[finite]))  # -0.0 kept


def test_bfloat16_is_the_top_half_of_float32() -> None:
    bits = np.random.default_rng(0).integers(0, 2**16, 4096, dtype=np.uint16)
    with np.errstate(invalid="ignore"):
        expected = bits.view(ml_dtypes.bfloat16).astype(np.float64)
    assert np.array_equal(decoder("BF16").decode(bits.tobytes()), expected, equal_nan=True)  # type: ignore[union-attr]


def test_plain_types_and_names_across_formats() -> None:
    values = np.array([1.5, -2.25, 3e38], np.float32)
    assert np.array_equal(decoder("FLOAT").decode(values.tobytes()), values.astype(np.float64))  # type: ignore[union-attr]
    assert decoder("INT64").itemsize == 8  # type: ignore[union-attr]
    assert canonical("BFLOAT16") == canonical("BF16") == "BF16"
    assert decoder("Q4_0") is None and decoder("INT4") is None and decoder("C64") is None


def test_table_is_read_only() -> None:
    with pytest.raises(ValueError):
        fp8_table(4, 3, 7, "fn")[0] = 1.0
