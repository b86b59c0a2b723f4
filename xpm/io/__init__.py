"""Writers both sides share: reproducible tar shards in img2dataset's layout, atomic files."""
