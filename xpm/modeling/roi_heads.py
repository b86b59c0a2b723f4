"""Region heads of the open-vocabulary Mask R-CNN: proposal sampling, L_GT, and inference.

torchvision's ``RoIHeads`` assumes class-specific boxes and masks indexed by label; here box
regression and the mask are class-agnostic and the classifier is scored against a vocabulary
that changes between calls, so the heads are composed from torchvision's parts instead.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection.roi_heads import project_masks_on_boxes
from torchvision.ops import boxes as box_ops

from xpm.modeling.box_branch import BoxBranch
from xpm.modeling.embedding_head import embedding_scores
from xpm.modeling.losses import background_weighted_classification_loss, class_agnostic_box_loss, mask_loss
from xpm.modeling.mask_branch import MASK_SIZE, MaskBranch

# Fast R-CNN's box-coding weights and IoU thresholds, as torchvision and detectron2 use them.
BOX_CODER_WEIGHTS = (10.0, 10.0, 5.0, 5.0)
FOREGROUND_IOU = 0.5
MIN_BOX_SIZE = 1e-2


class OpenVocabRoIHeads(nn.Module):
    def __init__(
        self,
        *,
        box_branch: BoxBranch,
        mask_branch: MaskBranch,
        batch_size_per_image: int,
        positive_fraction: float,
        background_weight: float,
        score_thresh: float,
        nms_thresh: float,
        detections_per_image: int,
        mask_rois_per_image: int = 0,
    ):
        super().__init__()
        self.box_branch = box_branch
        self.mask_branch = mask_branch
        self.box_coder = det_utils.BoxCoder(BOX_CODER_WEIGHTS)
        self.matcher = det_utils.Matcher(FOREGROUND_IOU, FOREGROUND_IOU, allow_low_quality_matches=False)
        self.sampler = det_utils.BalancedPositiveNegativeSampler(batch_size_per_image, positive_fraction)
        self.background_weight = background_weight
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_image = detections_per_image
        self.mask_rois_per_image = mask_rois_per_image

    def sample_proposals(self, proposals: list[torch.Tensor], targets: list[dict]):
        """Proposals (plus the GT boxes) sampled for training, their labels, matched GT indices
        and regression targets, as in Fast R-CNN."""
        sampled, labels, matched, regression = [], [], [], []
        for boxes, target in zip(proposals, targets):
            gt_boxes = target["boxes"].to(boxes.dtype)
            boxes = torch.cat([boxes, gt_boxes])
            if gt_boxes.numel() == 0:
                image_labels = torch.zeros(len(boxes), dtype=torch.int64, device=boxes.device)
                image_matched = torch.zeros_like(image_labels)
            else:
                match = self.matcher(box_ops.box_iou(gt_boxes, boxes))
                image_matched = match.clamp(min=0)
                image_labels = target["labels"][image_matched].to(torch.int64)
                image_labels[match < 0] = 0
            positive, negative = self.sampler([image_labels])
            keep = torch.where(positive[0] | negative[0])[0]
            boxes, image_labels, image_matched = boxes[keep], image_labels[keep], image_matched[keep]
            if gt_boxes.numel() == 0:
                gt_boxes = boxes.new_zeros((1, 4))
            sampled.append(boxes)
            labels.append(image_labels)
            matched.append(image_matched)
            regression.append(self.box_coder.encode_single(gt_boxes[image_matched], boxes))
        return sampled, labels, matched, regression

    def forward(self, features, proposals, image_shapes, class_embeddings: torch.Tensor, targets) -> dict[str, torch.Tensor]:
        """L_GT (training); inference goes through :meth:`regions`, :meth:`select` and the mask branch."""
        return self.losses(features, proposals, image_shapes, class_embeddings, targets)

    def losses(self, features, proposals, image_shapes, class_embeddings, targets) -> dict[str, torch.Tensor]:
        """L_GT: embedding classification (background weighted), class-agnostic box and mask."""
        proposals, labels, matched, regression = self.sample_proposals(proposals, targets)
        region_embeddings, deltas = self.box_branch(features, proposals, image_shapes)
        scores = embedding_scores(region_embeddings, class_embeddings)
        all_labels = torch.cat(labels)
        losses = {
            "loss_classifier": background_weighted_classification_loss(scores, all_labels, self.background_weight),
            "loss_box_reg": class_agnostic_box_loss(deltas, torch.cat(regression), all_labels),
        }
        positive_boxes, mask_targets = [], []
        for boxes, image_labels, image_matched, target in zip(proposals, labels, matched, targets):
            positive = torch.where(image_labels > 0)[0]
            if 0 < self.mask_rois_per_image < len(positive):
                positive = positive[torch.randperm(len(positive), device=positive.device)[: self.mask_rois_per_image]]
            positive_boxes.append(boxes[positive])
            if len(positive):
                mask_targets.append(project_masks_on_boxes(target["masks"], boxes[positive], image_matched[positive], MASK_SIZE))
        mask_logits = self.mask_branch(features, positive_boxes, image_shapes)
        targets_tensor = torch.cat(mask_targets) if mask_targets else mask_logits.new_zeros((0, MASK_SIZE, MASK_SIZE))
        losses["loss_mask"] = mask_loss(mask_logits, targets_tensor)
        return losses

    def decode(self, deltas: torch.Tensor, proposals: list[torch.Tensor], image_shapes) -> list[torch.Tensor]:
        """Class-agnostic deltas applied to their proposals, clipped to each image."""
        boxes = self.box_coder.decode(deltas, proposals).reshape(-1, 4)
        per_image = boxes.split([len(p) for p in proposals])
        return [box_ops.clip_boxes_to_image(b, shape) for b, shape in zip(per_image, image_shapes)]

    def regions(self, features, proposals, image_shapes) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """h_Emb of every proposal ``[R, D]`` and its refined box per image: all that depends on the
        image and not on the vocabulary, so several vocabularies can be scored on one pass."""
        region_embeddings, deltas = self.box_branch(features, proposals, image_shapes)
        return region_embeddings, self.decode(deltas, proposals, image_shapes)

    def select(self, region_embeddings: torch.Tensor, refined: list[torch.Tensor], class_embeddings: torch.Tensor
               ) -> list[dict[str, torch.Tensor]]:
        """Detections over the vocabulary: softmax over [background, classes], score threshold,
        per-class NMS, the top ``detections_per_image``. Per image ``boxes``, ``scores``,
        ``labels`` and ``region``, the index of the refined proposal each detection is: the
        mask is class-agnostic, so detections of one region share it."""
        probabilities = F.softmax(embedding_scores(region_embeddings, class_embeddings), dim=-1)[:, 1:]
        num_classes = probabilities.shape[1]
        detections = []
        for boxes, probs in zip(refined, probabilities.split([len(r) for r in refined])):
            regions = torch.arange(len(boxes), device=probs.device)[:, None].expand_as(probs).reshape(-1)
            labels = torch.arange(1, num_classes + 1, device=probs.device).expand_as(probs).reshape(-1)
            boxes = boxes[:, None].expand(-1, num_classes, 4).reshape(-1, 4)
            probs = probs.reshape(-1)
            keep = torch.where(probs >= self.score_thresh)[0]
            boxes, probs, labels, regions = boxes[keep], probs[keep], labels[keep], regions[keep]
            keep = box_ops.remove_small_boxes(boxes, MIN_BOX_SIZE)
            boxes, probs, labels, regions = boxes[keep], probs[keep], labels[keep], regions[keep]
            keep = box_ops.batched_nms(boxes, probs, labels, self.nms_thresh)[: self.detections_per_image]
            detections.append({"boxes": boxes[keep], "scores": probs[keep], "labels": labels[keep], "region": regions[keep]})
        return detections
