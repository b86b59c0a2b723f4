"""The open-vocabulary Mask R-CNN (paper 3.2.1): torchvision's transform, backbone and RPN, with
the embedding-scored, class-agnostic region heads. The vocabulary is an input, not a weight."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.rpn import RegionProposalNetwork, RPNHead, concat_box_prediction_layers
from torchvision.models.detection.transform import GeneralizedRCNNTransform, resize_boxes

from xpm.modeling.alignment import binarize_mask, parse_alignment, select_regions
from xpm.modeling.box_branch import BoxBranch
from xpm.modeling.config import ModelConfig
from xpm.modeling.embedding_head import embedding_scores
from xpm.modeling.mask_branch import MaskBranch
from xpm.modeling.mask_paste import paste_masks
from xpm.modeling.roi_heads import OpenVocabRoIHeads

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
RPN_ASPECT_RATIOS = (0.5, 1.0, 2.0)


class OpenVocabMaskRCNN(nn.Module):
    def __init__(self, *, transform: GeneralizedRCNNTransform, backbone: nn.Module, rpn: RegionProposalNetwork,
                 roi_heads: OpenVocabRoIHeads, embedding_dim: int):
        super().__init__()
        self.transform = transform
        self.backbone = backbone
        self.rpn = rpn
        self.roi_heads = roi_heads
        self.embedding_dim = embedding_dim
        self.register_buffer("class_embeddings", torch.zeros(0, embedding_dim), persistent=False)

    def set_vocabulary(self, class_embeddings: torch.Tensor) -> None:
        """The classes scored from now on (``[C, D]`` word embeddings); weights are untouched."""
        if class_embeddings.ndim != 2 or class_embeddings.shape[1] != self.embedding_dim:
            raise ValueError(
                f"class embeddings must be [classes, {self.embedding_dim}]; got {tuple(class_embeddings.shape)}: "
                "embed the vocabulary with the checkpoint's text model."
            )
        device = next(self.parameters()).device
        self.class_embeddings = class_embeddings.detach().to(device, torch.float32)

    def encode(self, images: list[torch.Tensor], targets: list[dict] | None = None):
        """Normalised, resized, batched images; their FPN features; proposals; RPN losses."""
        original_sizes = [tuple(image.shape[-2:]) for image in images]
        image_list, targets = self.transform(images, targets)
        features = self.backbone(image_list.tensors)
        proposals, rpn_losses = self.rpn(image_list, features, targets)
        return image_list, features, proposals, rpn_losses, targets, original_sizes

    def forward(self, images: list[torch.Tensor], targets: list[dict] | None = None):
        """Training: the loss dict of L_GT (targets' labels index the vocabulary from 1).
        Inference: per image ``boxes``, ``labels`` (1-based vocabulary index), ``scores`` and
        ``masks`` (probabilities ``[K, 1, H, W]`` in input-image coordinates)."""
        if self.class_embeddings.shape[0] == 0:
            raise RuntimeError("no vocabulary set: call set_vocabulary(class_embeddings) first.")
        if self.training and targets is None:
            raise ValueError("training needs targets.")
        if not self.training:
            return self.detect_vocabularies(images, [self.class_embeddings])[0]
        image_list, features, proposals, rpn_losses, targets, original_sizes = self.encode(images, targets)
        losses = self.roi_heads(features, proposals, image_list.image_sizes, self.class_embeddings, targets)
        return {**rpn_losses, **losses}

    def detect_vocabularies(self, images: list[torch.Tensor], vocabularies: list[torch.Tensor],
                            segment: list[list[torch.Tensor]] | None = None) -> list[list[dict]]:
        """Inference under each of several vocabularies (``[C_v, D]`` embeddings) from one pass of
        the backbone, RPN, box and mask branches, which do not depend on the vocabulary: per
        vocabulary, per image, the detections of :meth:`forward`. Only the scoring and NMS are
        repeated; each refined proposal that any vocabulary keeps is segmented and pasted once.
        ``segment``: per image, per vocabulary, which classes ``[C_v]`` (bool) need masks; the
        others' detections get empty masks (evaluation: a detection of a class the image's ground
        truth lacks is a false positive whatever its mask, and the mask head is most of the cost)."""
        image_list, features, proposals, _, _, original_sizes = self.encode(images)
        sizes = image_list.image_sizes
        embeddings, refined = self.roi_heads.regions(features, proposals, sizes)
        selections = [self.roi_heads.select(embeddings, refined, vocabulary.to(embeddings)) for vocabulary in vocabularies]
        wanted = [[torch.ones_like(d["labels"], dtype=torch.bool) if segment is None else segment[i][v].to(d["labels"].device)[d["labels"] - 1]
                   for v, d in enumerate(selection[i] for selection in selections)] for i in range(len(images))]
        used = [torch.unique(torch.cat([selection[i]["region"][wanted[i][v]] for v, selection in enumerate(selections)]))
                for i in range(len(images))]
        mask_probs = self.roi_heads.mask_branch(features, [boxes[u] for boxes, u in zip(refined, used)], sizes).sigmoid()
        pasted = [
            paste_masks(probs, resize_boxes(boxes[u], size, original), *original)
            for probs, boxes, u, size, original in zip(mask_probs.split([len(u) for u in used]), refined, used, sizes, original_sizes)
        ]
        results = []
        for v, selection in enumerate(selections):
            detections = []
            for i, (detection, u, masks, size, original) in enumerate(zip(selection, used, pasted, sizes, original_sizes)):
                detection_masks = masks.new_zeros((len(detection["region"]), *original))
                keep = wanted[i][v]
                detection_masks[keep] = masks[torch.searchsorted(u, detection["region"][keep])]
                detections.append({
                    "boxes": resize_boxes(detection["boxes"], size, original),
                    "scores": detection["scores"],
                    "labels": detection["labels"],
                    "masks": detection_masks[:, None],
                })
            results.append(detections)
        return results

    def scored_proposals(self, image_list, features) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """The RPN's inference proposals per image and their objectness probabilities (detached),
        best first: torchvision's ``RegionProposalNetwork.forward`` keeps the scores to itself."""
        rpn = self.rpn
        levels = list(features.values())
        training = rpn.training
        # pre/post-NMS counts follow the RPN's mode; its layers act the same in both modes.
        rpn.training = False
        try:
            objectness, deltas = rpn.head(levels)
            anchors = rpn.anchor_generator(image_list, levels)
            per_level = [o[0].numel() for o in objectness]
            objectness, deltas = concat_box_prediction_layers(objectness, deltas)
            proposals = rpn.box_coder.decode(deltas.detach(), anchors).view(len(anchors), -1, 4)
            boxes, scores = rpn.filter_proposals(proposals, objectness, image_list.image_sizes, per_level)
        finally:
            rpn.training = training
        return boxes, [score.detach() for score in scores]

    def _inference_proposals(self, images: list[torch.Tensor]):
        """Images -> (resized batch, FPN features, the RPN's inference proposals, their objectness)."""
        image_list, _ = self.transform(images)
        features = self.backbone(image_list.tensors)
        return (image_list, features, *self.scored_proposals(image_list, features))

    def proposal_embeddings(self, images: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """h_Emb of every proposal the RPN makes at inference (the regions Eq. 2 chooses from),
        per image ``[R_i, D]``, and their objectness ``[R_i]``; differentiable in h_Emb, and
        usable while training on unannotated images."""
        image_list, features, proposals, objectness = self._inference_proposals(images)
        embeddings, _ = self.roi_heads.box_branch(features, proposals, image_list.image_sizes)
        return list(embeddings.split([len(p) for p in proposals])), objectness

    def region_evidence(self, images: list[torch.Tensor]) -> tuple["RegionContext", list[RegionEvidence]]:
        """What every alignment rule chooses from, per image: the RPN's inference proposals'
        h_Emb embeddings, refined boxes (resized-image xyxy), objectness and the scores of the
        teacher's own classes; and the context :meth:`region_masks` needs."""
        image_list, features, proposals, objectness = self._inference_proposals(images)
        sizes = image_list.image_sizes
        region_embeddings, deltas = self.roi_heads.box_branch(features, proposals, sizes)
        refined = self.roi_heads.decode(deltas, proposals, sizes)
        evidence = [
            RegionEvidence(embeddings, boxes, prior, (self.class_embeddings @ embeddings.T))
            for embeddings, boxes, prior in zip(region_embeddings.split([len(p) for p in proposals]), refined, objectness)
        ]
        return RegionContext(features, sizes, [tuple(image.shape[-2:]) for image in images]), evidence

    def region_masks(self, context: "RegionContext", boxes: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        """h_Mask in each image's ``boxes`` (resized-image xyxy): per image the boxes in input-image
        coordinates, ``mask_logits [K, 28, 28]`` and Eq. 4's ``mask [K, H, W]`` bool."""
        mask_logits = self.roi_heads.mask_branch(context.features, boxes, context.sizes)
        results = []
        for box, logits, size, (height, width) in zip(boxes, mask_logits.split([len(b) for b in boxes]), context.sizes,
                                                      context.original_sizes):
            box = resize_boxes(box, size, (height, width))
            mask = binarize_mask(paste_masks(logits, box, height, width, outside=float("-inf")))
            results.append({"box": box, "mask_logits": logits, "mask": mask})
        return results

    def refine_boxes(self, context: "RegionContext", boxes: list[torch.Tensor], steps: int) -> list[torch.Tensor]:
        """Each image's ``boxes`` (resized-image xyxy) through the class-agnostic box regression
        ``steps`` more times, each pass regressing from the last pass's boxes (alignment's
        ``refine``)."""
        for _ in range(steps):
            if not sum(len(b) for b in boxes):
                break
            _, deltas = self.roi_heads.box_branch(context.features, boxes, context.sizes)
            boxes = self.roi_heads.decode(deltas, boxes, context.sizes)
        return boxes

    def align(self, images: list[torch.Tensor], noun_embeddings: list[torch.Tensor], alignment: str = "eq2",
              thresholds: list[torch.Tensor | None] | None = None) -> list[dict]:
        """Cross-modal pseudo-labels (paper 3.2.2) for each image's caption nouns ``[K_i, D]``.

        Per image: ``region`` (per noun, the proposal the ``alignment`` rule chose, ``-1`` for a
        noun it gave none; see ``alignment.ALIGNMENTS``), ``reasons`` (why none, per noun),
        ``logit`` (Eq. 2's score v_o^T h_Emb(f_{b_o})), ``score`` (its softmax probability over
        [background, the caption's nouns]); and for the nouns with a region only, in order:
        ``box`` (the proposal refined by the class-agnostic box regression, once, or 1 +
        ``REFINE_STEPS`` times under ``+refine``; input-image xyxy: the box the mask head
        segments), ``mask_logits`` (``[K', 28, 28]``) and ``mask`` (Eq. 4,
        ``[K', H, W]`` bool). ``thresholds``: per image its nouns' calibrated thresholds ``[K_i]``,
        which a ``+calibrated@P`` rule needs.
        """
        if len(images) != len(noun_embeddings):
            raise ValueError(f"{len(images)} images but {len(noun_embeddings)} noun-embedding matrices.")
        rule = parse_alignment(alignment)
        context, evidence = self.region_evidence(images)
        chosen = []
        for regions, nouns, limits in zip(evidence, noun_embeddings, thresholds or [None] * len(images)):
            nouns = nouns.to(regions.embeddings.device, regions.embeddings.dtype)
            selection = select_regions(nouns @ regions.embeddings.T, rule, objectness=regions.objectness,
                                       boxes=regions.boxes, class_scores=regions.class_scores, thresholds=limits)
            kept = selection.region >= 0
            picked = regions.embeddings[selection.region.clamp_min(0)]
            probabilities = F.softmax(embedding_scores(picked, nouns), dim=-1)
            score = probabilities[torch.arange(len(picked)), torch.arange(len(picked)) + 1]
            chosen.append({"region": selection.region, "reasons": selection.reasons, "logit": selection.logit,
                           "score": score, "box": regions.boxes[selection.region[kept]]})
        boxes = self.refine_boxes(context, [c["box"] for c in chosen], rule.refine_steps)
        for result, masks in zip(chosen, self.region_masks(context, boxes)):
            result.update(masks)
        return chosen


@dataclass(frozen=True)
class RegionEvidence:
    """One image's inference proposals as alignment sees them: ``embeddings [R, D]`` (h_Emb),
    refined ``boxes [R, 4]`` (resized-image xyxy), ``objectness [R]`` and ``class_scores [C, R]``
    (the teacher's classes, Eq. 1)."""

    embeddings: torch.Tensor
    boxes: torch.Tensor
    objectness: torch.Tensor
    class_scores: torch.Tensor


@dataclass(frozen=True)
class RegionContext:
    """A batch's FPN features and image sizes, kept to segment boxes chosen after the fact."""

    features: dict
    sizes: list
    original_sizes: list


def build_detector(config: ModelConfig, *, embedding_dim: int, backbone: nn.Module) -> OpenVocabMaskRCNN:
    feature_names = [str(i) for i in range(config.fpn_levels)]
    channels = config.fpn_channels
    anchors = AnchorGenerator(
        sizes=tuple((size,) for size in config.anchor_sizes),
        aspect_ratios=(RPN_ASPECT_RATIOS,) * len(config.anchor_sizes),
    )
    rpn = RegionProposalNetwork(
        anchors,
        RPNHead(channels, len(RPN_ASPECT_RATIOS)),
        fg_iou_thresh=0.7,
        bg_iou_thresh=0.3,
        batch_size_per_image=config.rpn_batch_size_per_image,
        positive_fraction=0.5,
        pre_nms_top_n={"training": config.rpn_pre_nms_top_n_train, "testing": config.rpn_pre_nms_top_n_test},
        post_nms_top_n={"training": config.rpn_post_nms_top_n_train, "testing": config.rpn_post_nms_top_n_test},
        nms_thresh=0.7,
    )
    roi_heads = OpenVocabRoIHeads(
        box_branch=BoxBranch(
            feature_names=feature_names, in_channels=channels, sampling_ratio=config.roi_sampling_ratio,
            representation_size=config.box_representation_size, embedding_dim=embedding_dim,
        ),
        mask_branch=MaskBranch(
            feature_names=feature_names, in_channels=channels, sampling_ratio=config.roi_sampling_ratio,
            layers=config.mask_head_layers,
        ),
        batch_size_per_image=config.box_batch_size_per_image,
        positive_fraction=config.box_positive_fraction,
        background_weight=config.background_weight,
        score_thresh=config.score_thresh,
        nms_thresh=config.nms_thresh,
        detections_per_image=config.detections_per_image,
        mask_rois_per_image=config.mask_rois_per_image,
    )
    transform = GeneralizedRCNNTransform(config.min_size, config.max_size, IMAGENET_MEAN, IMAGENET_STD)
    return OpenVocabMaskRCNN(transform=transform, backbone=backbone, rpn=rpn, roi_heads=roi_heads, embedding_dim=embedding_dim)
