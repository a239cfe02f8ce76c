"""Data sets on disk: the shard format of every generated training set (:mod:`.shards`)."""

from vmag.data.shards import Field, Shards, write_shards

__all__ = ["Field", "Shards", "write_shards"]
