"""cometsim's multipart reader: a form as CometAPI's gateway reads it."""

import random

import pytest
import requests

from cometsim import parse_multipart


def test_the_multipart_parser_keeps_binary_bytes_intact():
    noise = random.Random(7).randbytes(50_000)
    tricky = b"\r\n--\r\r\n\n\x00\xff" + noise + b"\r\n--x\r\n\r" + noise[:99] + b"\r"
    body, content_type = requests.models.RequestEncodingMixin._encode_files(
        {"input_reference": ("ref.bin", tricky, "application/octet-stream")},
        {"prompt": "Un cerf-volant déchiré ✨", "seconds": "4"},
    )
    fields, files = parse_multipart(content_type, body)
    assert fields == {"prompt": "Un cerf-volant déchiré ✨", "seconds": "4"}
    assert files["input_reference"].data == tricky
    with pytest.raises(ValueError):
        parse_multipart("application/x-www-form-urlencoded", b"prompt=x")
