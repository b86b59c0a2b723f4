"""Files both sides share: reproducible tar shards in img2dataset's layout, atomic files, a
command's output folder, dataset-version checks and the decoding of a pseudo-labelled sample."""
