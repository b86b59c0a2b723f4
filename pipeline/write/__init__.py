"""Writers of a dataset version: output shards and their per-shard records."""
