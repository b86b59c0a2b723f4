import torch
from trainers.evaluation.noise_diagnosis import noise_gradient

def test_eq6_wants_more_noise_only_where_the_mask_contradicts_the_pseudo_mask():
    targets = torch.ones(2, 4, 4)
    logits = torch.stack([torch.full((4, 4), 4.0), torch.full((4, 4), -4.0)])  # agrees; contradicts
    grads = noise_gradient(logits, torch.full((2, 4, 4), 0.5), targets, samples=4096)
    assert grads[0] > 0 > grads[1]


def test_every_label_of_a_version_is_measured_once_under_its_status(tiny_world, tiny_teacher, tiny_version, truth_from_pseudo_labels,
                                                                    tmp_path):
    from trainers.evaluation.noise_diagnosis import measure_mask_agreement
    from xpm.io.dataset_version import open_version
    from xpm.modeling.checkpoint import detector_from_checkpoint, read_checkpoint
    from xpm.modeling.student import RobustStudent

    version = open_version(str(tiny_version))
    category_of = truth_from_pseudo_labels(version, tmp_path / "truth.json")
    student = RobustStudent(detector_from_checkpoint(read_checkpoint(tiny_teacher), torch.device("cpu")))
    measured = measure_mask_agreement(student, tiny_version, tmp_path / "truth.json", category_of, images=3, samples=8)
    assert measured["all"]["labels"] == sum(measured[s]["labels"] for s in measured if s != "all") > 0
    for row in measured.values():
        assert 0 <= row["median_disagreement"] <= 1 and row["median_noise"] > 0 and 0 <= row["noise_pushed_up_share"] <= 1
