import pytest
import torch
import torch.nn.functional as F

from torchvision.models.detection.transform import resize_boxes

from xpm.modeling.alignment import REFINE_STEPS
from xpm.modeling.backbone import build_backbone
from xpm.modeling.checkpoint import (
    DetectorCheckpoint,
    TextModelIdentity,
    detector_from_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from xpm.modeling.detector import build_detector
from xpm.modeling.errors import CheckpointError

DIM = 8


@pytest.fixture
def detector(tiny_model_config):
    torch.manual_seed(0)
    backbone = build_backbone(tiny_model_config, pretrained_from=None, pretrained=False)
    model = build_detector(tiny_model_config, embedding_dim=DIM, backbone=backbone)
    model.set_vocabulary(F.normalize(torch.randn(3, DIM), dim=1))
    return model


def _targets():
    masks = torch.zeros(2, 64, 64, dtype=torch.uint8)
    masks[0, 5:30, 5:30] = 1
    masks[1, 30:60, 20:50] = 1
    return [{"boxes": torch.tensor([[5.0, 5, 30, 30], [20, 30, 50, 60]]), "labels": torch.tensor([1, 3]), "masks": masks}]


def test_training_returns_the_losses_of_l_gt(detector):
    losses = detector.train()([torch.rand(3, 64, 64)], _targets())
    assert set(losses) == {"loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg", "loss_mask"}
    assert all(torch.isfinite(v) for v in losses.values())


def test_mask_and_box_heads_are_class_agnostic(detector):
    assert detector.roi_heads.mask_branch.to_logits.out_channels == 1
    assert detector.roi_heads.box_branch.predictor.bbox_pred.out_features == 4


def test_vocabulary_swap_changes_classes_not_weights(detector):
    detector.eval()
    detector.roi_heads.score_thresh = 0.0
    image = [torch.rand(3, 64, 64)]
    weights = {k: v.clone() for k, v in detector.state_dict().items()}
    with torch.inference_mode():
        three = detector(image)[0]
        detector.set_vocabulary(F.normalize(torch.randn(7, DIM), dim=1))
        seven = detector(image)[0]
    assert three["labels"].max() <= 3 and seven["labels"].max() > 3
    assert "class_embeddings" not in detector.state_dict()
    for key, value in detector.state_dict().items():
        torch.testing.assert_close(value, weights[key])
    assert seven["masks"].shape[1:] == (1, 64, 64)


def test_several_vocabularies_from_one_pass_equal_each_on_its_own(detector):
    """Each vocabulary's detections, masks included, as if the model ran once per vocabulary and
    segmented and pasted every detection from its own box."""
    from xpm.modeling.mask_paste import paste_masks

    detector.eval()
    detector.roi_heads.score_thresh = 0.0
    images = [torch.rand(3, 64, 64), torch.rand(3, 48, 80)]
    vocabularies = [F.normalize(torch.randn(n, DIM), dim=1) for n in (3, 5, 8)]
    with torch.inference_mode():
        together = detector.detect_vocabularies(images, vocabularies)
        image_list, features, proposals, _, _, originals = detector.encode(images)
        sizes = image_list.image_sizes
        embeddings, refined = detector.roi_heads.regions(features, proposals, sizes)
        for vocabulary, results in zip(vocabularies, together):
            alone = detector.roi_heads.select(embeddings, refined, vocabulary)
            probs = detector.roi_heads.mask_branch(features, [d["boxes"] for d in alone], sizes).sigmoid()
            for result, expected, mask_probs, size, original in zip(results, alone, probs.split([len(d["boxes"]) for d in alone]),
                                                                   sizes, originals):
                # several classes of one region: the case the shared masks are for
                assert len(expected["region"].unique()) < len(expected["region"])
                boxes = resize_boxes(expected["boxes"], size, original)
                torch.testing.assert_close(result["boxes"], boxes)
                torch.testing.assert_close(result["scores"], expected["scores"])
                assert torch.equal(result["labels"], expected["labels"])
                torch.testing.assert_close(result["masks"][:, 0], paste_masks(mask_probs, boxes, *original), atol=1e-5, rtol=0)


def test_only_the_classes_asked_for_are_segmented(detector):
    detector.eval()
    detector.roi_heads.score_thresh = 0.0
    images = [torch.rand(3, 64, 64), torch.rand(3, 64, 64)]
    vocabularies = [F.normalize(torch.randn(n, DIM), dim=1) for n in (3, 5)]
    segment = [[torch.tensor([True, False, False]), torch.tensor([False, False, True, True, False])],
               [torch.tensor([False, False, False]), torch.tensor([True, True, True, True, True])]]
    with torch.inference_mode():
        full = detector.detect_vocabularies(images, vocabularies)
        some = detector.detect_vocabularies(images, vocabularies, segment)
    for v in range(2):
        for i in range(2):
            wanted = segment[i][v][full[v][i]["labels"] - 1]
            assert wanted.any() or (i, v) == (1, 0)
            torch.testing.assert_close(some[v][i]["masks"][wanted], full[v][i]["masks"][wanted])
            assert not some[v][i]["masks"][~wanted].any()
            assert (~wanted).sum() == 0 or full[v][i]["masks"][~wanted].any()
            torch.testing.assert_close(some[v][i]["boxes"], full[v][i]["boxes"])


def test_vocabulary_of_another_dimension_is_rejected(detector):
    with pytest.raises(ValueError, match="text model"):
        detector.set_vocabulary(torch.randn(3, DIM + 1))


def test_checkpoint_round_trip_loads_with_weights_only(detector, tiny_model_config, tmp_path):
    path = tmp_path / "model.pt"
    embeddings = detector.class_embeddings.clone()
    save_checkpoint(path, DetectorCheckpoint(
        model_config=tiny_model_config, pretrained_backbone=False,
        text_model=TextModelIdentity(id="m", hash="h", mode="bert-input", dim=DIM),
        vocabulary=("a", "b", "c"), vocabulary_embeddings=embeddings, gt_classes=("a", "b", "c"),
        state_dict=detector.state_dict(), training={"step": 3},
    ))
    torch.load(path, weights_only=True)
    loaded = read_checkpoint(path)
    assert loaded.model_config == tiny_model_config and loaded.vocabulary == ("a", "b", "c")
    model = detector_from_checkpoint(loaded).eval()
    detector.eval()
    image = [torch.rand(3, 64, 64)]
    with torch.inference_mode():
        torch.testing.assert_close(model(image)[0]["scores"], detector(image)[0]["scores"])


def test_foreign_files_are_refused_as_checkpoints(tmp_path):
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(CheckpointError, match="not an xpm detector checkpoint"):
        read_checkpoint(other)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="is not a file xpm can read"):
        read_checkpoint(garbage)


def test_align_picks_one_region_per_noun_and_binarizes_its_mask(detector):
    detector.eval()
    # An untrained mask head may mark no pixel at all; logits well above 0 everywhere make Eq. 4
    # mark its whole box, so that what it marks outside the box is what is tested.
    with torch.no_grad():
        detector.roi_heads.mask_branch.to_logits.bias.fill_(10.0)
    nouns = [F.normalize(torch.randn(2, DIM), dim=1), F.normalize(torch.randn(1, DIM), dim=1)]
    with torch.inference_mode():
        results = detector.align([torch.rand(3, 64, 64), torch.rand(3, 48, 80)], nouns)
    assert [len(r["region"]) for r in results] == [2, 1]
    assert results[1]["mask"].shape == (1, 48, 80) and results[1]["mask"].dtype == torch.bool
    assert results[0]["mask_logits"].shape == (2, 28, 28)
    assert ((results[0]["score"] > 0) & (results[0]["score"] < 1)).all()
    for result, (height, width) in zip(results, [(64, 64), (48, 80)]):
        for box, mask in zip(result["box"], result["mask"]):
            assert 0 <= box[0] <= box[2] <= width and 0 <= box[1] <= box[3] <= height
            ys, xs = torch.nonzero(mask, as_tuple=True)
            assert len(xs) > 0
            assert xs.min() >= box[0].floor() and xs.max() <= box[2].ceil()
            assert ys.min() >= box[1].floor() and ys.max() <= box[3].ceil()


def _eq2_and(detector, rule: str, nouns: int):
    """One 64 px image aligned with ``nouns`` random nouns under eq2 and under ``rule``."""
    detector.eval()
    images, embeddings = [torch.rand(3, 64, 64)], [F.normalize(torch.randn(nouns, DIM), dim=1)]
    with torch.inference_mode():
        return images, embeddings, detector.align(images, embeddings)[0], detector.align(images, embeddings, rule)[0]


def test_align_with_objectness_picks_among_the_same_proposals(detector):
    images, nouns, plain, weighted = _eq2_and(detector, "eq2+objectness", 3)
    with torch.inference_mode():
        embeddings, objectness = detector.proposal_embeddings(images)
    scores = nouns[0] @ embeddings[0].T
    assert weighted["region"].tolist() == (scores + objectness[0].clamp_min(1e-6).log()).argmax(dim=1).tolist()
    assert plain["region"].tolist() == scores.argmax(dim=1).tolist()
    with pytest.raises(ValueError, match="alignment"):
        detector.align(images, nouns, "softmax")


def test_refine_regresses_the_chosen_box_again_from_its_own_output(detector):
    # A part of an object is regressed towards the whole once by the box head; refine repeats
    # the regression from where the last pass ended, REFINE_STEPS times, on the same region.
    images, _, plain, refined = _eq2_and(detector, "eq2+refine", 2)
    with torch.inference_mode():
        context, evidence = detector.region_evidence(images)
        boxes = [evidence[0].boxes[plain["region"]]]
        for _ in range(REFINE_STEPS):
            _, deltas = detector.roi_heads.box_branch(context.features, boxes, context.sizes)
            boxes = detector.roi_heads.decode(deltas, boxes, context.sizes)
        expected = resize_boxes(boxes[0], context.sizes[0], (64, 64))
    assert refined["region"].tolist() == plain["region"].tolist()
    torch.testing.assert_close(refined["box"], expected)
    assert not torch.allclose(refined["box"], plain["box"])


def test_mask_rois_per_image_caps_the_mask_heads_training_regions(detector):
    seen = []
    detector.roi_heads.mask_branch.register_forward_hook(lambda module, args, output: seen.append(output.shape[0]))
    detector.train()
    detector.roi_heads.mask_rois_per_image = 3
    detector([torch.rand(3, 64, 64)] * 2, _targets() * 2)
    assert 0 < seen[-1] <= 6


def test_proposal_embeddings_are_the_inference_proposals_with_their_objectness_even_in_training(detector):
    images = [torch.rand(3, 64, 64), torch.rand(3, 48, 64)]
    detector.eval()
    with torch.no_grad():
        image_list, features, inference_proposals, *_ = detector.encode(images)
    detector.train()
    embeddings, objectness = detector.proposal_embeddings(images)
    assert detector.rpn.training
    for regions, scores, proposals in zip(embeddings, objectness, inference_proposals):
        assert regions.shape == (len(proposals), DIM) and regions.requires_grad
        assert scores.shape == (len(proposals),) and not scores.requires_grad
        assert ((scores >= 0) & (scores <= 1)).all() and (scores[:-1] >= scores[1:]).all()
