"""Decode and validate one sample: an image the teacher can read and a caption that is text.

Every failure is a :class:`Reject` with a reason code (an image's are those of
``xpm.io.images.decode_image``, which every reader of images shares). Nothing raises. The image
bytes are kept as they came (the output shard never re-encodes them).
"""

from __future__ import annotations

from xpm.io.records import DecodedSample, RawSample, Reject
from schemas.captioned_shard import CAPTION_EXT, IMAGE_EXTENSIONS
from xpm.io.images import BadImage, DecodeLimits, decode_image

STAGE = "decode"


def decode_sample(sample: RawSample, limits: DecodeLimits = DecodeLimits()) -> DecodedSample | Reject:
    def reject(reason: str, detail: str = "") -> Reject:
        return Reject(sample.key, sample.input_shard, STAGE, reason, detail)

    image_ext = next((ext for ext in IMAGE_EXTENSIONS if ext in sample.parts), None)
    if image_ext is None:
        return reject("missing_image", f"members: {sorted(sample.parts)}")
    if CAPTION_EXT not in sample.parts:
        return reject("missing_caption", f"members: {sorted(sample.parts)}")
    raw_caption = sample.parts[CAPTION_EXT]
    if len(raw_caption) > limits.max_caption_bytes:
        return reject("caption_too_long", f"{len(raw_caption)} bytes")
    try:
        caption = raw_caption.decode("utf-8")
    except UnicodeDecodeError as error:
        return reject("caption_not_utf8", str(error))
    if "\x00" in caption:
        return reject("caption_not_text", "holds NUL bytes")
    data = sample.parts[image_ext]
    pixels = decode_image(data, limits)
    if isinstance(pixels, BadImage):
        return reject(pixels.reason, pixels.detail)
    return DecodedSample(sample.key, sample.input_shard, data, image_ext, caption, pixels)
