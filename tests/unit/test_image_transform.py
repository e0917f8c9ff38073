"""transform.images: encoded bytes -> float pixels in [0, 1] at the configured size and channels,
the same for every call (the serving graph runs these ops too)."""

from __future__ import annotations

import io

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from tfxkit.transform.images import dense_bytes, image_features  # noqa: E402


def _encoded(pixels: np.ndarray, mode: str, fmt: str = "PNG") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, format=fmt)
    return buffer.getvalue()


def _pixels(images: list[bytes], size: list[int], channels: int, sparse: bool = True):
    if sparse:  # the schema's default: every feature may be missing, so [batch, 1] sparse
        value = tf.sparse.SparseTensor(
            [[i, 0] for i in range(len(images))], tf.constant(images), [len(images), 1]
        )
    else:
        value = tf.constant(images)
    config = {"key": "image", "size": size, "channels": channels}
    return image_features({"image": value}, config)["image_xf"].numpy()


def test_same_size_keeps_every_pixel_scaled_to_0_1() -> None:
    gray = np.arange(16, dtype=np.uint8).reshape(4, 4) * 16
    (out,) = _pixels([_encoded(gray, "L")], [4, 4], 1)
    assert out.shape == (4, 4, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[..., 0], gray / 255.0, atol=1e-6)


def test_channels_as_configured_and_sizes_resized() -> None:
    rgb = np.zeros((6, 8, 3), np.uint8)
    rgb[..., 0] = 255  # red
    gray = np.full((3, 3), 128, np.uint8)
    rgba = np.full((5, 5, 4), 200, np.uint8)
    images = [_encoded(rgb, "RGB"), _encoded(gray, "L"), _encoded(rgba, "RGBA")]
    out = _pixels(images, [4, 4], 3)
    assert out.shape == (3, 4, 4, 3)
    assert out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_allclose(out[0, ..., 0], 1.0, atol=1e-5)  # still red after resizing
    np.testing.assert_allclose(out[1], 128 / 255.0, atol=1e-5)  # gray repeated in R, G, B
    np.testing.assert_allclose(out[2], 200 / 255.0, atol=1e-5)  # alpha dropped
    (luma,) = _pixels([_encoded(rgb, "RGB")], [6, 8], 1)  # RGB -> one channel (luma)
    assert luma.shape == (6, 8, 1) and 0.2 < luma.mean() < 0.4


def test_four_channels_add_an_opaque_alpha_or_keep_the_given_one() -> None:
    gray_alpha = np.stack([np.full((2, 2), 60, np.uint8), np.full((2, 2), 100, np.uint8)], -1)
    jpeg = _encoded(np.full((2, 2, 3), 90, np.uint8), "RGB", "JPEG")
    out = _pixels([_encoded(gray_alpha, "LA"), jpeg], [2, 2], 4)
    np.testing.assert_allclose(out[0, ..., :3], 60 / 255.0, atol=1e-6)  # gray in R, G, B
    np.testing.assert_allclose(out[0, ..., 3], 100 / 255.0, atol=1e-6)  # its own alpha
    np.testing.assert_allclose(out[1, ..., 3], 1.0)  # a JPEG has none: opaque


def test_jpeg_and_the_first_frame_of_a_gif() -> None:
    from PIL import Image

    frames = [Image.new("L", (4, 4), v) for v in (30, 220)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    jpeg = _encoded(np.full((8, 8, 3), 90, np.uint8), "RGB", "JPEG")
    out = _pixels([buffer.getvalue(), jpeg], [4, 4], 1, sparse=False)
    assert out.shape == (2, 4, 4, 1)
    np.testing.assert_allclose(out[0], 30 / 255.0, atol=0.02)  # frame 1, not a 4-D stack
    np.testing.assert_allclose(out[1], 90 / 255.0, atol=0.03)


def test_the_same_bytes_give_the_same_pixels() -> None:
    noise = np.random.default_rng(0).integers(0, 255, (7, 5, 3), dtype=np.uint8)
    image = _encoded(noise, "RGB")
    first = _pixels([image, image], [4, 4], 3)
    np.testing.assert_array_equal(first[0], first[1])
    np.testing.assert_array_equal(first, _pixels([image, image], [4, 4], 3))


def test_missing_image_and_feature() -> None:
    empty = tf.sparse.SparseTensor(tf.zeros([0, 2], tf.int64), tf.constant([], tf.string), [2, 1])
    assert dense_bytes(empty).numpy().tolist() == [b"", b""]  # missing -> b"", then refused
    with pytest.raises(tf.errors.InvalidArgumentError):
        image_features({"image": empty}, {"key": "image", "size": [2, 2], "channels": 1})
    with pytest.raises(ValueError, match="needs the feature 'image'"):
        image_features({"picture": empty}, {"key": "image", "size": [2, 2], "channels": 1})
