"""The whole pseudo-labeling job for one input shard inside a single ``process`` call, for runners
that lose what a DoFn emits from ``finish_bundle``.

Beam's DaskRunner collects a bundle's outputs before it calls ``finish_bundle``
(``apache_beam/runners/dask/transform_evaluator.py``, ``apply_dofn_to_bundle``), so whatever a
DoFn emits there is dropped. RunInference batches with ``BatchElements``, which flushes its last
batch in ``finish_bundle``, and the runner also hands a DoFn's tagged outputs on with its main
output, so the stage-by-stage pipeline fails there (measured with Beam 2.77). Here nothing is emitted outside ``process`` and no grouping is needed:
the same stage DoFns run in order on one shard's samples, the teacher runs in fixed batches, and
the shard is written before ``process`` returns, so the bytes are those of the RunInference
pipeline (a test compares them).
"""

from __future__ import annotations

from collections import defaultdict
from itertools import islice
from typing import Iterable

import apache_beam as beam

from pipeline.inference.teacher_handler import TeacherModelHandler
from pipeline.stages import INPUTS, REJECTS, Decode, ExtractNouns, ReadShard, ToLabelledSample, WriteShard
from xpm.io.records import Reject

STAGE = "inference"

# Teachers loaded in this worker process, by handler identity: a Dask worker runs every bundle's
# setup, and the teacher must load once per process, not once per shard.
_TEACHERS: dict[tuple, object] = {}


def _split(outputs: Iterable) -> tuple[list, dict[str, list]]:
    """A DoFn's outputs as (main outputs, {tag: values of its tagged outputs})."""
    main, tagged = [], defaultdict(list)
    for output in outputs:
        if isinstance(output, beam.pvalue.TaggedOutput):
            tagged[output.tag].append(output.value)
        else:
            main.append(output)
    return main, tagged


class LabelShard(beam.DoFn):
    def __init__(self, read: ReadShard, decode: Decode, nouns: ExtractNouns, handler: TeacherModelHandler,
                 label: ToLabelledSample, write: WriteShard, batch_size: int):
        self._stages = (read, decode, nouns, label, write)
        self._handler, self._batch_size = handler, batch_size

    def setup(self):
        for stage in self._stages:
            stage.setup()
        key = self._handler.identity()
        if key not in _TEACHERS:
            _TEACHERS[key] = self._handler.load_model()
        self._model = _TEACHERS[key]

    def process(self, path: str):
        read, decode, nouns, label, write = self._stages
        samples, tagged = _split(read.process(path))
        rejects = [reject for _, reject in tagged[REJECTS]]
        ((shard, info),) = tagged[INPUTS]
        requests = []
        for sample in samples:
            decoded, tagged = _split(decode.process(sample))
            rejects += [reject for _, reject in tagged[REJECTS]]
            for ok in decoded:
                found, tagged = _split(nouns.process(ok))
                rejects += [reject for _, reject in tagged[REJECTS]]
                requests += found
        labelled = []
        pending = iter(requests)
        while batch := list(islice(pending, self._batch_size)):
            for (sample_info, _), aligned in zip(batch, self._align([request for _, request in batch])):
                if isinstance(aligned, Exception):
                    rejects.append(Reject(sample_info.key, sample_info.input_shard, STAGE, "teacher_failed",
                                          f"{type(aligned).__name__}: {aligned}"))
                else:
                    labelled += [sample for _, sample in label.process((sample_info, aligned))]
        yield from write.process((shard, {"samples": labelled, "rejects": rejects, "inputs": [info]}))

    def _align(self, requests: list) -> list:
        """The teacher's alignment per request, or the exception a request raises on its own: a
        batch that fails runs again one request at a time, so one sample the model cannot take
        (no proposals, say) is a reject and its shard goes on."""
        try:
            return list(self._handler.run_inference(requests, self._model))
        except Exception as error:
            if len(requests) == 1:
                return [error]
            return [result for request in requests for result in self._align([request])]
