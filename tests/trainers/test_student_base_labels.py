import json

from trainers.student.train import base_instances
from xpm.modeling.checkpoint import read_checkpoint


def test_base_labels_follow_the_teacher_classifier_whatever_the_split_order(tiny_world, tiny_teacher, tmp_path):
    from trainers.student.config import StudentConfig

    split = json.loads((tiny_world / "split.json").read_text())
    split["base"] = split["base"][::-1]
    permuted = tmp_path / "split.json"
    permuted.write_text(json.dumps(split))
    config = StudentConfig(data="unused", base_gt=str(tiny_world / "train" / "instances_base.json"),
                           base_images=str(tiny_world / "train" / "images"), split=str(permuted), init=str(tiny_teacher))
    teacher = read_checkpoint(tiny_teacher)
    assert list(teacher.gt_classes) != split["base"]
    dataset = base_instances(config, teacher)
    names = {c["id"]: c["name"] for c in dataset.coco.dataset["categories"]}
    checked = 0
    for index, image_id in enumerate(dataset.image_ids):
        _, target = dataset[index, False]
        annotations = [a for a in dataset.coco.imgToAnns[image_id] if not a.get("iscrowd", 0)]
        expected = [teacher.gt_classes.index(names[a["category_id"]]) + 1 for a in annotations]
        assert target["labels"].tolist() == expected
        checked += len(expected)
    assert checked > 0
